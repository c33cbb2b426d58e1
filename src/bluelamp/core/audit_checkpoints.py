"""Signed checkpoints of the audit trail's and incident logs' heads, published outside the database.

- ``bluelamp publish-checkpoint`` (run it at an interval, e.g. every 15 minutes from a timer)
  writes one small JSON file per chain to ``BLUELAMP_AUDIT_CHECKPOINT_DIR``: which entry was
  newest and its hash, signed with the current audit key.
- ``verify-audit`` and ``verify-logs`` check their chain against every published checkpoint, so
  even someone holding the key cannot rewrite entries older than the last checkpoint unnoticed,
  as long as the checkpoint files are kept where they cannot change them (copy them to write-once
  storage or another organisation: the directory alone only moves the problem).
- A checkpoint whose signature does not match is reported, never ignored.

Each chain registers how to read its head (:func:`register`); core knows no app."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from bluelamp.core import audit_keys

HeadReader = Callable[[datetime], dict[str, Any] | None]
_CHAINS: dict[str, HeadReader] = {}


def register(chain: str, head: HeadReader) -> None:
    """``head(now)`` returns what a checkpoint of ``chain`` made at ``now`` vouches for
    (JSON-ready, with an ``entry_id``), or None when there is nothing to vouch for yet."""
    _CHAINS[chain] = head


def directory() -> Path:
    return Path(settings.BLUELAMP_AUDIT_CHECKPOINT_DIR)


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    at: datetime
    entry_id: int
    body: dict[str, Any]
    path: Path


def _signed(body: dict[str, Any]) -> dict[str, Any]:
    key_id = audit_keys.current_key_id()
    return {**body, "key_id": key_id, "signature": audit_keys.seal(body, key_id=key_id)}


def publish(*, now: datetime | None = None) -> list[Path]:
    """Write a signed checkpoint of every registered chain that has entries; return the files."""
    now = now or timezone.now()
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chain, head in sorted(_CHAINS.items()):
        vouched = head(now)
        if vouched is None:
            continue
        body = {"chain": chain, "at": now.isoformat(), **vouched}
        path = folder / f"{chain}-{now:%Y%m%dT%H%M%S%f}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(audit_keys.canonical_json(_signed(body)) + "\n", encoding="utf-8")
        os.replace(temporary, path)  # a reader never sees half a checkpoint
        written.append(path)
    return written


class BadCheckpoint(Exception):
    """A checkpoint file that is not what ``publish`` wrote: the message says which and why."""


def _read(path: Path) -> Checkpoint:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        signature, key_id = stored.pop("signature"), stored.pop("key_id")
        if not audit_keys.matches(stored, key_id=key_id, expected=signature):
            raise BadCheckpoint(f"checkpoint {path.name} does not match its signature: it was altered or forged")
        return Checkpoint(stored["chain"], datetime.fromisoformat(stored["at"]), int(stored["entry_id"]), stored, path)
    except audit_keys.UnknownKey as unknown:
        unknown_key = f"is signed with key {unknown.key_id!r}, which is not configured"
        raise BadCheckpoint(f"checkpoint {path.name} {unknown_key}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadCheckpoint(f"checkpoint {path.name} cannot be read ({error}): it was altered") from error


def published(chain: str) -> list[Checkpoint]:
    """Every checkpoint of ``chain``, oldest entry first. Raises BadCheckpoint for the first
    file that is not as published."""
    folder = directory()
    if not folder.is_dir():
        return []
    found = [_read(path) for path in sorted(folder.glob(f"{chain}-*.json"))]
    return sorted(found, key=lambda checkpoint: (checkpoint.entry_id, checkpoint.at))
