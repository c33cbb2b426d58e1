"""Sign-in, lock-out, idle time-out, sign out everywhere, single sign-on and API tokens."""

from __future__ import annotations

import time
import types
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bluelamp.core import tokens
from bluelamp.core.errors import PermissionDenied
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.core.sessions import LAST_ACTIVITY
from tests.conftest import RunBluelamp
from tests.stub_idp import StubIdentityProvider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def met() -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


def make_user(username: str, force: Force, *roles: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, force=force)
    for code in roles:
        Role.objects.get(force=force, code=code).members.add(user)
    return user


def sign_in(client: Client, username: str, password: str = PASSWORD) -> int:
    return client.post("/sign-in/", {"username": username, "password": password}).status_code


def test_passwords_are_hashed_with_argon2_outside_tests(run_bluelamp: RunBluelamp) -> None:
    script = "from django.contrib.auth.hashers import make_password; print(make_password('x').split('$')[0])"
    result = run_bluelamp("shell", "-c", script)
    assert result.stdout.strip().splitlines()[-1] == "argon2", result.stderr


def test_five_wrong_passwords_lock_the_account_with_a_friendly_page(client: Client, met: Force) -> None:
    make_user("pc1234", met)
    assert [sign_in(client, "pc1234", "wrong") for _ in range(4)] == [200] * 4  # the form again, with an error
    response = client.post("/sign-in/", {"username": "pc1234", "password": "wrong"})
    assert response.status_code == 429
    assert b"Too many attempts to sign in" in response.content
    assert sign_in(client, "pc1234") == 429  # even the right password, until the cool-off ends


def test_sign_in_is_rate_limited_per_address(
    client: Client, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # django-ratelimit counts in fixed one-minute windows; the 31 sign-ins take a few seconds and
    # could straddle a window's end (CI saw 200 for the 31st). Its clock stands still here.
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", types.SimpleNamespace(time=lambda: now))
    codes = [sign_in(client, f"someone{i}", "x") for i in range(31)]
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


def test_idle_session_is_signed_out_and_status_does_not_count_as_activity(client: Client, met: Force) -> None:
    user = make_user("hr7", met, "hr")  # a role without a limit of its own: the default, 30 minutes
    client.force_login(user)
    assert client.get("/account/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 29 * 60
    session.save()
    status = client.get("/session/status").json()
    assert status["signed_in"] is True
    assert 50 < status["seconds_left"] <= 60
    assert client.post("/session/keep-alive").json()["seconds_left"] > 29 * 60  # activity restarts the clock
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 31 * 60
    session.save()
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
    assert client.get("/session/status").status_code == 401


def test_sign_out_everywhere_ends_every_session(met: Force) -> None:
    user = make_user("hr42", met, "hr")
    desk, phone = Client(), Client()
    desk.force_login(user)
    phone.force_login(user)
    assert phone.get("/account/").status_code == 200
    desk.post("/sign-out-everywhere/")
    assert phone.get("/account/").status_code == 302
    assert desk.get("/account/").status_code == 302


def test_single_sign_on_end_to_end_against_a_stub_provider(client: Client, settings: SettingsWrapper) -> None:
    with StubIdentityProvider() as idp:
        for name, value in idp.settings().items():
            setattr(settings, name, value)
        settings.OIDC_ENABLED = True
        settings.BLUELAMP_OIDC_FORCE = "met"
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "bluelamp.core.sso.StaffOIDCBackend"]
        idp.claims = {
            "sub": "123",
            "email": "Asha.Patel@met.example",
            "email_verified": True,
            "given_name": "Asha",
            "family_name": "Patel",
        }

        start = client.get("/sso/start/?next=/account/")
        assert start.status_code == 302
        assert start["Location"].startswith(f"{idp.url}/authorize?")
        callback = _follow_without_redirect(start["Location"])
        assert callback.startswith("http://testserver/sso/callback/?code=")
        finished = client.get(urlsplit(callback).path + "?" + urlsplit(callback).query)
        assert finished.status_code == 302
        assert finished["Location"] == "/account/"

    user = User.objects.get(email="Asha.Patel@met.example")
    assert (user.username, user.first_name, user.force.code if user.force else None) == (
        "asha.patel@met.example",
        "Asha",
        "met",
    )
    assert not user.roles.exists()  # signing in proves identity, not what someone may do
    assert client.get("/account/").status_code == 200


def _follow_without_redirect(url: str) -> str:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as response:
        return str(response.headers["Location"])
    raise AssertionError("the provider did not redirect back")


def _sso_sign_in(client: Client, idp: StubIdentityProvider) -> None:
    start = client.get("/sso/start/?next=/account/")
    callback = _follow_without_redirect(start["Location"])
    client.get(urlsplit(callback).path + "?" + urlsplit(callback).query)


@pytest.mark.parametrize(
    ("claims", "signed_in"),
    [
        ({"email_verified": False, "tid": "met-tenant"}, False),  # an address nobody checked
        ({"tid": "met-tenant"}, False),  # verification not said
        ({"email_verified": True, "tid": "another-tenant"}, False),  # someone else's directory
        ({"email_verified": True, "tid": "met-tenant"}, True),
    ],
)
def test_sso_matches_an_existing_account_only_on_a_verified_email_of_an_allowed_tenant(
    client: Client, settings: SettingsWrapper, met: Force, claims: dict[str, object], signed_in: bool
) -> None:
    existing = make_user("asha", met, "hr")
    User.objects.filter(pk=existing.pk).update(email="asha.patel@met.example")
    with StubIdentityProvider() as idp:
        for name, value in idp.settings().items():
            setattr(settings, name, value)
        settings.OIDC_ENABLED = True
        settings.BLUELAMP_OIDC_FORCE = "met"
        settings.BLUELAMP_OIDC_TENANTS = "met-tenant"
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "bluelamp.core.sso.StaffOIDCBackend"]
        idp.claims = {"sub": "attacker-1", "email": "asha.patel@met.example", **claims}
        _sso_sign_in(client, idp)
    account = client.get("/account/")
    assert account.status_code == (200 if signed_in else 302)
    if signed_in:
        assert account.context["account"] == existing
    assert User.objects.filter(email__iexact="asha.patel@met.example").count() == 1  # no second account


def test_sso_is_not_found_when_not_configured(client: Client) -> None:
    assert client.get("/sso/start/").status_code == 404


def test_api_token_works_until_revoked_and_records_last_use(client: Client, met: Force) -> None:
    admin = make_user("admin1", met, "force_admin")
    permission = Permission.objects.get(codename="view_apitoken")
    made = tokens.create_api_token(actor=admin, force=met, name="ANPR feed (north)", permissions=[permission])
    assert made.token.secret_hash != made.secret
    assert made.secret not in made.token.secret_hash
    headers = {"Authorization": f"Bearer {made.secret}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {"kind": "client", "name": "ANPR feed (north)", "force": "met"}
    made.token.refresh_from_db()
    assert made.token.last_used_at is not None

    tokens.revoke_api_token(actor=admin, token=made.token)
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"


def test_expired_and_unknown_tokens_are_refused(client: Client, met: Force) -> None:
    admin = make_user("admin2", met, "force_admin")
    made = tokens.create_api_token(actor=admin, force=met, name="old feed", permissions=[])
    made.token.expires_at = timezone.now() - timedelta(seconds=1)
    made.token.save()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {made.secret}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer bl_nope_nope"}).status_code == 401


def test_a_token_cannot_carry_permissions_its_maker_lacks(met: Force) -> None:
    admin = make_user("admin3", met, "force_admin")
    with pytest.raises(PermissionDenied, match=r"core\.read_across_forces"):
        tokens.create_api_token(
            actor=admin, force=met, name="greedy", permissions=[Permission.objects.get(codename="read_across_forces")]
        )
    with pytest.raises(PermissionDenied, match="own force"):
        tokens.create_api_token(actor=admin, force=Force.objects.get(code="city"), name="theirs", permissions=[])


def test_token_pages_show_the_secret_once_and_revoke(client: Client, met: Force) -> None:
    client.force_login(make_user("admin4", met, "force_admin"))
    permission = Permission.objects.get(codename="view_apitoken")
    response = client.post("/access/tokens/", {"name": "AVL feed", "permissions": [permission.pk]})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("bl_")
    assert secret.encode() in response.content
    listing = client.get("/access/tokens/")
    assert secret.encode() not in listing.content  # shown once only
    token_id = listing.context["tokens"].get(name="AVL feed").pk
    assert client.post(f"/access/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_pages_send_a_strict_content_security_policy(client: Client) -> None:
    policy = client.get("/sign-in/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert client.get("/sign-in/")["X-Frame-Options"] == "DENY"
    assert "style-src 'self' 'unsafe-inline'" in client.get("/api/v1/docs")["Content-Security-Policy"]


def test_production_cookies_are_secure_and_hsts_is_on(run_bluelamp: RunBluelamp) -> None:
    env = {"BLUELAMP_ENV": "production", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "police.example"}
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS)"
    )
    result = run_bluelamp("shell", "-c", script, env=env)
    assert result.stdout.strip().splitlines()[-1] == "True True True 31536000", result.stderr


def test_unknown_api_paths_answer_in_the_api_error_shape(client: Client) -> None:
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_roles_are_seeded_from_data_for_each_force(met: Force) -> None:
    codes = set(Role.objects.filter(force=met).values_list("code", flat=True))
    assert {
        "call_handler",
        "dispatcher",
        "control_supervisor",
        "response_officer",
        "analyst",
        "data_protection_officer",
        "auditor",
        "content_editor",
        "national_content_editor",
        "hr",
        "finance",
        "commercial",
        "device_manager",
        "force_admin",
        "national_admin",
    } <= codes
    assert seed_roles(force=met) == []  # re-seeding leaves an administrator's changes alone


def test_force_admin_manages_only_their_own_forces_roles(client: Client, met: Force) -> None:
    from bluelamp.core import access_services
    from bluelamp.core.errors import NotFound

    city = Force.objects.get(code="city")
    seed_roles(force=city)
    admin = make_user("fa9", met, "force_admin")
    met_user = make_user("pc9", met)
    dispatcher = Role.objects.get(force=met, code="dispatcher")
    finance = Role.objects.get(force=met, code="finance")  # carries nothing the admin lacks
    access_services.add_role_member(actor=admin, role=finance, username="pc9")
    assert finance.members.filter(pk=met_user.pk).exists()

    with pytest.raises(NotFound):
        access_services.add_role_member(actor=admin, role=Role.objects.get(force=city, code="dispatcher"), username="x")
    client.force_login(admin)
    assert client.get(f"/access/roles/{Role.objects.get(force=city, code='hr').pk}/").status_code == 404
    with pytest.raises(PermissionDenied, match=r"core\.view_audit"):
        access_services.add_role_member(actor=admin, role=Role.objects.get(force=met, code="auditor"), username="pc9")
    with pytest.raises(PermissionDenied, match=r"business\.view_person"):
        access_services.set_role_permissions(
            actor=admin,
            role=dispatcher,
            permissions=[Permission.objects.get(codename="view_person", content_type__app_label="business")],
        )


def test_a_role_member_change_is_audited(met: Force) -> None:
    from bluelamp.core import access_services
    from bluelamp.core.models import AuditEntry

    admin = make_user("fa10", met, "force_admin")
    make_user("pc10", met)
    access_services.add_role_member(actor=admin, role=Role.objects.get(force=met, code="finance"), username="pc10")
    entry = AuditEntry.objects.get(record_type="core.user", actor=admin)
    assert (entry.operation, entry.details) == ("alteration", {"role": "finance", "change": "added"})


def test_a_token_stops_working_when_its_maker_is_deactivated(client: Client, met: Force) -> None:
    admin = make_user("admin11", met, "force_admin")
    made = tokens.create_api_token(actor=admin, force=met, name="partner feed", permissions=[])
    headers = {"Authorization": f"Bearer {made.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    User.objects.filter(pk=admin.pk).update(is_active=False)
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401


def test_a_token_loses_a_permission_its_maker_loses(met: Force) -> None:
    admin = make_user("admin12", met, "force_admin")
    permission = Permission.objects.get(codename="view_apitoken")
    made = tokens.create_api_token(actor=admin, force=met, name="token auditor", permissions=[permission])
    client_actor = tokens.authenticate_token(made.secret)
    assert client_actor is not None
    assert client_actor.has_perm("core.view_apitoken")
    Role.objects.get(force=met, code="force_admin").members.remove(admin)
    client_actor = tokens.authenticate_token(made.secret)
    assert client_actor is not None
    assert not client_actor.has_perm("core.view_apitoken")
