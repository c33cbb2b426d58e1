"""The notification adapter: the local outbox by default, GOV.UK Notify when configured (chosen
here, never called), and the configuration it needs."""

from __future__ import annotations

from typing import Any

import pytest

from bluelamp import config
from bluelamp.online import notify

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"


def test_the_local_outbox_is_the_default(settings: Any) -> None:
    settings.NOTIFY_API_KEY = ""
    assert isinstance(notify.backend(), notify.OutboxBackend)


def test_gov_uk_notify_is_used_when_a_key_is_configured(settings: Any) -> None:
    settings.NOTIFY_API_KEY = f"bluelamp_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    chosen = notify.backend()
    assert isinstance(chosen, notify.NotifyBackend)
    assert chosen.template_id == settings.NOTIFY_TEMPLATE_ID
    assert chosen.client.service_id == SERVICE_ID


def test_a_notify_key_without_a_template_stops_start_up(tmp_path: Any) -> None:
    environ = {"BLUELAMP_HOME": str(tmp_path), "BLUELAMP_ENV": "test", "NOTIFY_API_KEY": f"k-{SERVICE_ID}-{SECRET}"}
    with pytest.raises(config.ConfigError, match="NOTIFY_TEMPLATE_ID"):
        config.load(environ)
