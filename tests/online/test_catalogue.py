"""The service catalogue is checked on load, with messages that say what to change; a national
administrator installs a new one with a command, and every site uses it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bluelamp.core.errors import InvalidInput
from bluelamp.online import catalogue

SHIPPED = json.loads(catalogue.SHIPPED_FILE.read_text())


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def crime(data: dict[str, Any]) -> dict[str, Any]:
    return next(j for j in data["journeys"] if j["slug"] == "crime")


def test_the_shipped_catalogue_is_valid_and_maps_to_real_nsir_codes() -> None:
    loaded = catalogue.parse(SHIPPED)
    assert set(loaded.journeys) == {"crime", "asb", "road-traffic", "lost-found"}
    assert loaded.journey("crime").question("crime_type").option("fraud").signpost == "action_fraud"  # type: ignore[union-attr]
    assert not loaded.journeys["crime"].anonymous_allowed
    assert loaded.journeys["asb"].anonymous_allowed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: crime(d)["questions"][0]["options"][0].update(nsir={"category": "crime.made_up"}), "not an NSIR"),
        (lambda d: crime(d)["questions"][0].update(type="dropdown"), 'type "dropdown" is not known'),
        (lambda d: crime(d)["questions"][2].update(show_if={"question": "witness", "equals": "yes"}), "not an earlier"),
        (lambda d: crime(d)["questions"][2].update(show_if={"question": "victim", "equals": "alien"}), "not options"),
        (lambda d: crime(d)["questions"].pop(), 'exactly one "contact"'),
        (lambda d: crime(d).update(slug="track"), "reserved"),
        (lambda d: crime(d)["questions"][0]["options"][3].update(signpost="nowhere"), 'signpost "nowhere"'),
        (lambda d: crime(d)["questions"][0].update(colour="red"), "unknown keys"),
        (lambda d: crime(d)["questions"].append({"use": "where"}), 'two questions have the id "where"'),
        (lambda d: d["journeys"].append(copy.deepcopy(crime(d))), "two journeys have this slug"),
    ],
)
def test_mistakes_are_named(change: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as error:
        catalogue.parse(broken(change))
    assert "journey" in error.value.message or "Catalogue" in error.value.message


def test_asb_needs_its_qualifier_checked_against_nsir() -> None:
    def no_qualifier(d: dict[str, Any]) -> None:
        asb = next(j for j in d["journeys"] if j["slug"] == "asb")
        asb["questions"][0]["options"][0]["nsir"] = {"category": "asb", "qualifiers": []}

    with pytest.raises(InvalidInput, match="asb"):
        catalogue.parse(broken(no_qualifier))


@pytest.mark.django_db
def test_an_administrator_installs_a_new_journey_without_code(
    tmp_path: Path, settings: Any, client: Client, sites: object
) -> None:
    settings.BASE_DIR = tmp_path
    data = copy.deepcopy(SHIPPED)
    data["journeys"].append(
        {
            "slug": "abandoned-vehicle",
            "title": "Report an abandoned vehicle",
            "summary": "A vehicle left in the street for a long time.",
            "nsir": {"category": "transport.obstruction"},
            "questions": [
                {"id": "vehicle", "type": "vehicle", "label": "The vehicle"},
                {"use": "where"},
                {"use": "contact"},
            ],
        }
    )
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(data))
    bad.write_text(json.dumps(broken(lambda d: crime(d).update(nsir={"category": "nope"}))))
    with pytest.raises(CommandError, match="not an NSIR"):
        call_command("online_catalogue", "install", str(bad))
    assert not catalogue.installed_file().exists()  # a bad file changes nothing
    call_command("online_catalogue", "install", str(good))
    assert "Report an abandoned vehicle" in client.get("/sites/met/report/").content.decode()
    response = client.post("/sites/met/report/abandoned-vehicle/", {"danger": "no"})
    assert response["Location"] == "/sites/met/report/abandoned-vehicle/vehicle/"
