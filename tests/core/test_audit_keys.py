"""The keyed audit trail: someone with the SQL shell but not the key cannot make a rewrite pass
`verify-audit`; a key holder cannot rewrite what a published checkpoint vouches for; keys
rotate with each entry naming its key; `bluelamp check` refuses the development key in
production and `flush` is refused in production."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from bluelamp.config import ConfigError, load
from bluelamp.core import audit, audit_checkpoints
from bluelamp.core.models import AuditChainHead, AuditEntry
from tests.core.test_audit import behind_the_triggers_back, write

pytestmark = pytest.mark.django_db

NEW_KEY = "second-key-" + "s" * 40


def _content(entry: AuditEntry) -> dict[str, Any]:
    """The fields the chain covers, read back from the database as the SQL shell shows them."""
    entry = AuditEntry.objects.get(pk=entry.pk)
    return {
        "at": entry.at.isoformat(),
        "operation": entry.operation,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "force_id": entry.force_id,
        "record_type": entry.record_type,
        "record_ids": entry.record_ids,
        "justification": entry.justification,
        "recipients": entry.recipients,
        "request_id": entry.request_id,
        "ip_address": entry.ip_address,
        "details": entry.details,
        "previous_hash": entry.previous_hash,
    }


def _sha256(content: dict[str, Any]) -> str:
    """What the chain used to be: plain SHA-256 of the sorted, compact JSON."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rewrite_with_sha256(entries: list[AuditEntry], index: int, justification: str, *, key_id: str | None) -> None:
    """Change one entry's justification and re-chain it and every later entry and the head with
    recomputed SHA-256 hashes, in raw SQL, the way someone with the SQL shell but no key would."""
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE core_auditentry SET justification=%s WHERE id=%s", [justification, entries[index].pk])
        previous = AuditEntry.objects.get(pk=entries[index].pk).previous_hash
        for entry in entries[index:]:
            content = {**_content(entry), "previous_hash": previous}
            new_hash = _sha256(content)
            new_key = AuditEntry.objects.get(pk=entry.pk).key_id if key_id is None else key_id
            cursor.execute(
                "UPDATE core_auditentry SET previous_hash=%s, entry_hash=%s, key_id=%s WHERE id=%s",
                [previous, new_hash, new_key, entry.pk],
            )
            previous = new_hash
        cursor.execute("UPDATE core_auditchainhead SET last_hash=%s WHERE id=1", [previous])


def test_entries_are_sealed_with_the_current_key_not_plain_sha256() -> None:
    (entry,) = write(1)
    assert entry.key_id == settings.BLUELAMP_AUDIT_KEY_ID
    assert entry.entry_hash != _sha256(_content(entry))


@pytest.mark.parametrize("key_id", [None, ""], ids=["key id kept", "key id removed"])
def test_a_rewrite_with_recomputed_sha256_hashes_is_detected(key_id: str | None) -> None:
    """Before keys, this rewrite (recompute every later hash and the head) passed verify-audit."""
    entries = write(4, operation="consultation", justification="Welfare check")
    _rewrite_with_sha256(entries, 1, "nothing to see", key_id=key_id)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", stdout=out)
    assert exit_info.value.code == 1
    assert f"BROKEN at entry #{entries[1].pk}" in out.getvalue()


def test_rotating_the_key_keeps_old_entries_verifiable() -> None:
    old, old_key = write(2), settings.BLUELAMP_AUDIT_KEY_ID
    keys = {**settings.BLUELAMP_AUDIT_KEYS, "2027a": NEW_KEY}
    with override_settings(BLUELAMP_AUDIT_KEYS=keys, BLUELAMP_AUDIT_KEY_ID="2027a"):
        new = write(2)
        assert [e.key_id for e in AuditEntry.objects.order_by("pk")] == [old_key, old_key, "2027a", "2027a"]
        report = audit.verify_chain()
        assert report.intact, report.reason
        assert report.checked == len(old) + len(new)
    only_new = {"2027a": NEW_KEY}
    with override_settings(BLUELAMP_AUDIT_KEYS=only_new, BLUELAMP_AUDIT_KEY_ID="2027a"):
        report = audit.verify_chain()
    assert report.first_broken == old[0]
    assert report.reason.endswith(f"is sealed with key {old[0].key_id!r}, which is not configured")


def test_a_key_holder_rewriting_entries_before_a_checkpoint_is_detected() -> None:
    entries = write(3)
    (path,) = audit_checkpoints.publish()
    assert json.loads(path.read_text())["entry_id"] == entries[-1].pk
    later = write(1)
    assert audit.verify_chain().intact
    # The key holder rewrites entry 1 and re-seals every later entry and the head with the key.
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE core_auditentry SET justification='rewritten' WHERE id=%s", [entries[1].pk])
        previous = entries[0].entry_hash
        for entry in [*entries[1:], *later]:
            stored = AuditEntry.objects.get(pk=entry.pk)
            stored.previous_hash = previous
            previous = audit.entry_hash(stored)
            cursor.execute(
                "UPDATE core_auditentry SET previous_hash=%s, entry_hash=%s WHERE id=%s",
                [stored.previous_hash, previous, entry.pk],
            )
        cursor.execute("UPDATE core_auditchainhead SET last_hash=%s WHERE id=1", [previous])
    report = audit.verify_chain()
    assert report.first_broken == entries[-1]
    assert report.reason == (
        f"entry {entries[-1].pk} ({audit._when(entries[-1])}) is not the entry checkpoint {path.name} vouched for: "
        "the trail up to it was rewritten"
    )


def test_removing_checkpointed_entries_and_moving_the_head_back_is_detected() -> None:
    entries = write(3)
    (path,) = audit_checkpoints.publish()
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id=%s", [entries[2].pk])
        cursor.execute(
            "UPDATE core_auditchainhead SET last_entry_id=%s, last_hash=%s WHERE id=1",
            [entries[1].pk, entries[1].entry_hash],
        )
    report = audit.verify_chain()
    assert f"checkpoint {path.name} vouches for entry {entries[2].pk}" in report.reason


def test_an_altered_checkpoint_is_reported() -> None:
    write(2)
    (path,) = audit_checkpoints.publish()
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "entry_hash": "0" * 64}))
    report = audit.verify_chain()
    assert report.reason == f"checkpoint {path.name} does not match its signature: it was altered or forged"


def test_publish_checkpoint_writes_signed_files_to_the_configured_folder(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("publish_checkpoint")
    assert "Nothing to vouch for yet" in capsys.readouterr().out
    write(1)
    call_command("publish_checkpoint")
    folder = Path(settings.BLUELAMP_AUDIT_CHECKPOINT_DIR)
    (path,) = folder.glob("audit-*.json")
    assert f"Published {path}" in capsys.readouterr().out
    stored = json.loads(path.read_text())
    assert stored["entry_hash"] == AuditChainHead.objects.get(pk=1).last_hash
    assert stored["key_id"] == settings.BLUELAMP_AUDIT_KEY_ID


# Configuration


def test_keys_are_read_from_the_environment_with_the_current_one() -> None:
    config = load({"BLUELAMP_AUDIT_KEYS": f"2026a:{'a' * 40}, 2027a:{NEW_KEY}"})
    assert config.audit_keys == {"2026a": "a" * 40, "2027a": NEW_KEY}
    assert config.audit_key_id == "2027a"
    chosen = load({"BLUELAMP_AUDIT_KEYS": f"2026a:{'a' * 40},2027a:{NEW_KEY}", "BLUELAMP_AUDIT_KEY_ID": "2026a"})
    assert chosen.audit_key_id == "2026a"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BLUELAMP_AUDIT_KEYS": "2026a:short"}, "each secret at least 32 characters"),
        ({"BLUELAMP_AUDIT_KEYS": f"2026a:{'a' * 40}", "BLUELAMP_AUDIT_KEY_ID": "x"}, "is not in BLUELAMP_AUDIT_KEYS"),
    ],
)
def test_unusable_keys_stop_start_up_with_a_clear_message(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(environ)


def test_flush_is_refused_in_production() -> None:
    write(1)
    with override_settings(BLUELAMP_ENV="production"), pytest.raises(CommandError, match="refused in production"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 1
