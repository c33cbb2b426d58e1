"""`bluelamp check` in production: receipts are never kept in clear for want of a Notify key,
and demo accounts (whose password is public) are pointed out."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from bluelamp.core.checks import production_settings
from bluelamp.core.health import platform_findings
from bluelamp.core.models import User

pytestmark = pytest.mark.django_db
STRONG_KEY = "Vq3-Zr8_mLk2Pw9xYt6Hs4Nd1Gf7Jc5Bb0Ue2Ro8Ia3Ki6Ox9Lw4Mz1Qv7Sy5Tx"


@pytest.fixture
def production(settings: SettingsWrapper) -> SettingsWrapper:
    settings.BLUELAMP_ENV = "production"
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG_KEY
    settings.ALLOWED_HOSTS = ["police.example"]
    settings.SECURE_SSL_REDIRECT = True
    settings.NOTIFY_API_KEY = "live-key"
    return settings


def ids(settings: SettingsWrapper) -> set[str]:
    return {str(message.id) for message in production_settings()}


def test_production_without_a_notify_key_is_an_error(production: SettingsWrapper) -> None:
    assert "bluelamp.E006" not in ids(production)
    production.NOTIFY_API_KEY = ""
    assert "bluelamp.E006" in ids(production)
    findings = platform_findings(deploy=True)
    refused = [f for f in findings if "NOTIFY_API_KEY is not set" in f.message]
    assert [f.level for f in refused] == ["error"]


def test_demo_accounts_in_a_production_database_are_pointed_out(production: SettingsWrapper) -> None:
    User.objects.create_user(username="real.person", password="a-long-test-password", last_name="Patel")
    assert "bluelamp.W007" not in ids(production)
    User.objects.create_user(username="met-hr", password="bluelamp-demo-only", last_name="(demo)")
    warning = next(m for m in production_settings() if m.id == "bluelamp.W007")
    assert "met-hr" in warning.msg
    assert "real.person" not in warning.msg
    User.objects.filter(username="met-hr").update(is_active=False)  # deactivated: nothing to say
    assert "bluelamp.W007" not in ids(production)


def test_outside_production_neither_is_checked(settings: SettingsWrapper) -> None:
    settings.BLUELAMP_ENV = "test"
    settings.NOTIFY_API_KEY = ""
    User.objects.create_user(username="met-hr", last_name="(demo)")
    assert production_settings() == []
