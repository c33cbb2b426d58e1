"""Configuration of the live screens: the bridge between workers, its channel, and the map's
tile server — safe defaults and one-line answers for mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bluelamp.config import ConfigError, load
from bluelamp.core.management.commands.serve import several_workers_warning


def test_the_bridge_is_automatic_except_in_tests(tmp_path: Path) -> None:
    home = {"BLUELAMP_HOME": str(tmp_path)}
    assert load(home).live_bridge == "auto"
    assert load(home | {"BLUELAMP_ENV": "test"}).live_bridge == "memory"
    assert load(home | {"BLUELAMP_LIVE_BRIDGE": "Redis"}).live_bridge == "redis"
    assert load(home).live_channel == "bluelamp_live"
    assert load(home).map_tile_url == ""


def test_consumers_run_in_a_thread_except_in_tests_and_a_mistake_says_what_to_use(tmp_path: Path) -> None:
    home = {"BLUELAMP_HOME": str(tmp_path)}
    assert load(home).consumers == "thread"
    assert load(home | {"BLUELAMP_ENV": "test"}).consumers == "inline"
    assert load(home | {"BLUELAMP_CONSUMERS": "Off"}).consumers == "off"
    with pytest.raises(ConfigError, match="use one of thread, inline, off"):
        load(home | {"BLUELAMP_CONSUMERS": "sometimes"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BLUELAMP_LIVE_BRIDGE", "kafka", "is not known: use one of auto, redis, postgres, memory"),
        ("BLUELAMP_LIVE_CHANNEL", "Bad-Channel", "use lower-case letters, digits and _"),
        ("BLUELAMP_MAP_TILE_URL", "http://tiles.example.org/{z}/{x}/{y}.png", "must be an https:// URL"),
        ("BLUELAMP_MAP_TILE_URL", "https://tiles.example.org/tile.png", "with {z}, {x} and {y}"),
    ],
)
def test_mistakes_are_explained(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load({"BLUELAMP_HOME": str(tmp_path), name: value})


def test_a_tile_server_is_accepted(tmp_path: Path) -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    config = load({"BLUELAMP_HOME": str(tmp_path), "BLUELAMP_MAP_TILE_URL": url})
    assert config.map_tile_url == url


def test_serve_warns_when_several_workers_have_no_bridge(settings: Any) -> None:
    settings.BLUELAMP_LIVE_BRIDGE = "memory"  # SQLite without REDIS_URL under "auto"
    assert several_workers_warning(1) == ""
    assert "2 workers, but no live bridge" in several_workers_warning(2)
    assert "Set REDIS_URL" in several_workers_warning(2)
    settings.BLUELAMP_LIVE_BRIDGE = "auto"
    settings.BLUELAMP_REDIS_URL = "redis://127.0.0.1:6379/0"
    assert several_workers_warning(4) == ""
