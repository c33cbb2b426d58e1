"""The keys that seal the audit trail and the incident logs (HMAC-SHA-256).

- The keys live outside the database (``BLUELAMP_AUDIT_KEYS``): someone who can rewrite rows
  but does not hold the key cannot make a changed entry's hash match again.
- Every entry records the id of the key it was sealed with, so keys can be rotated: add the new
  key, make it current, and keep the old ones listed for as long as their entries are kept.
- Entries written before the chain was keyed have no key id and plain SHA-256; they are trusted
  only as far as a published checkpoint (``audit_checkpoints``) vouches for them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from bluelamp.core.errors import InvalidInput

UNKEYED = ""  # the key id of entries written before the chain was keyed


def canonical_json(value: Any) -> str:
    """One spelling for the same content: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def current_key_id() -> str:
    """The key new entries are sealed with."""
    return str(settings.BLUELAMP_AUDIT_KEY_ID)


def _secret(key_id: str) -> bytes:
    secret = settings.BLUELAMP_AUDIT_KEYS.get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    return str(secret).encode("utf-8")


class UnknownKey(InvalidInput):
    """An entry or checkpoint names a key this installation does not hold."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"Audit key {key_id!r} is not configured: add it to BLUELAMP_AUDIT_KEYS "
            "(keep every key whose entries are still kept)."
        )


def seal(content: dict[str, Any], *, key_id: str) -> str:
    """The hash of ``content``: HMAC-SHA-256 under key ``key_id`` (which is sealed with it), or
    plain SHA-256 of the content alone for an entry written before keys (``UNKEYED``)."""
    if key_id == UNKEYED:
        return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
    message = canonical_json({**content, "key_id": key_id}).encode("utf-8")
    return hmac.new(_secret(key_id), message, hashlib.sha256).hexdigest()


def matches(content: dict[str, Any], *, key_id: str, expected: str) -> bool:
    """Whether ``expected`` is the seal of ``content`` (compared in constant time)."""
    return hmac.compare_digest(seal(content, key_id=key_id), expected)
