"""Mobile device management (MDM): the adapter a live MDM sits behind, a local one that only
records what was asked, and the reading of an MDM's device export (the common Intune /
Workspace ONE shape, CSV or JSON) into plain rows for reconciliation."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bluelamp.core.errors import InvalidInput


class MdmAdapter(Protocol):
    """What the register needs from an MDM. A live adapter (Intune Graph, Workspace ONE) calls
    its API; the answer is the MDM's reference for the request."""

    name: str

    def request_wipe(self, *, serial_number: str, imei: str, reason: str) -> str: ...


class LocalMdm:
    """Records the wipe request and answers with a reference of its own: for forces without a
    live MDM connection, and for tests and the demo. The request is then done by hand in the
    MDM's console and confirmed in the register."""

    name = "local"

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []

    def request_wipe(self, *, serial_number: str, imei: str, reason: str) -> str:
        reference = f"LOCAL-{uuid.uuid4().hex[:12].upper()}"
        self.requests.append({"serial_number": serial_number, "imei": imei, "reason": reason, "reference": reference})
        return reference


@dataclass(frozen=True)
class MdmRow:
    """One device as the MDM sees it."""

    serial_number: str
    imei: str
    user: str  # the primary user's sign-in name (UPN) or e-mail address, lower case
    last_check_in: datetime | None


# Column names in the exports: Intune's "Export" of All devices, then Workspace ONE's.
SERIAL_COLUMNS = ("Serial number", "serialNumber", "SerialNumber")
IMEI_COLUMNS = ("IMEI", "imei", "Imei")
USER_COLUMNS = (
    "Primary user UPN",
    "userPrincipalName",
    "Primary user email address",
    "emailAddress",
    "UserEmailAddress",
)
CHECK_IN_COLUMNS = ("Last check-in", "lastSyncDateTime", "LastSeen")


def _first(row: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        if row.get(name):
            return str(row[name]).strip()
    return ""


def _when(text: str, line: int) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, "%m/%d/%Y %H:%M:%S")  # Intune's CSV export
        except ValueError:
            raise InvalidInput(f"Row {line}: {text!r} is not a date and time (use ISO 8601).") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_export(content: bytes, *, file_name: str) -> list[MdmRow]:
    """The rows of an MDM export: JSON (a list, or Graph's ``{"value": [...]}``) or CSV."""
    text = content.decode("utf-8-sig")
    if file_name.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise InvalidInput(f"{file_name} is not JSON ({error}).") from None
        records = data.get("value", []) if isinstance(data, dict) else data
    else:
        records = list(csv.DictReader(io.StringIO(text)))
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise InvalidInput(f"{file_name}: expected a list of devices.")
    rows = []
    for line, record in enumerate(records, start=1):
        serial = _first(record, SERIAL_COLUMNS)
        if not serial:
            raise InvalidInput(f"Row {line}: no serial number (column 'Serial number').")
        rows.append(
            MdmRow(
                serial_number=serial,
                imei=_first(record, IMEI_COLUMNS),
                user=_first(record, USER_COLUMNS).lower(),
                last_check_in=_when(_first(record, CHECK_IN_COLUMNS), line),
            )
        )
    return rows
