"""Nobody gains power through roles: no self-service membership, no conferring a permission one
does not hold, and every change is in the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from bluelamp.core import access_services
from bluelamp.core.errors import PermissionDenied
from bluelamp.core.models import AuditEntry, Force, Role, User
from bluelamp.core.services import seed_roles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]


@pytest.fixture
def met() -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


def member(username: str, force: Force, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
    for code in roles:
        Role.objects.get(force=force, code=code).members.add(user)
    return User.objects.get(pk=user.pk)  # fresh permission caches


def test_a_force_administrator_cannot_add_themself_to_hr(met: Force) -> None:
    admin = member("fa1", met, "force_admin")
    hr = Role.objects.get(force=met, code="hr")
    with pytest.raises(PermissionDenied, match="cannot change your own roles"):
        access_services.add_role_member(actor=admin, role=hr, username="fa1")
    assert not hr.members.filter(pk=admin.pk).exists()
    assert not User.objects.get(pk=admin.pk).has_perm("business.view_person")


def test_nobody_changes_their_own_membership_even_of_a_role_whose_permissions_they_hold(met: Force) -> None:
    admin = member("fa2", met, "force_admin")
    own_role = Role.objects.get(force=met, code="force_admin")
    with pytest.raises(PermissionDenied, match="Ask another administrator"):
        access_services.remove_role_member(actor=admin, role=own_role, member=admin)
    with pytest.raises(PermissionDenied, match="cannot change your own roles"):
        access_services.add_role_member(actor=admin, role=Role.objects.get(force=met, code="finance"), username="fa2")


def test_a_role_carrying_a_permission_the_administrator_lacks_cannot_be_given(met: Force) -> None:
    admin = member("fa3", met, "force_admin")
    member("pc3", met)
    call_handler = Role.objects.get(force=met, code="call_handler")
    with pytest.raises(PermissionDenied, match=r"you do not hold .*control\.view_contact"):
        access_services.add_role_member(actor=admin, role=call_handler, username="pc3")
    assert not call_handler.members.exists()
    # Nor taken away: removing a member is as much a decision about those permissions.
    other = member("pc4", met, "call_handler")
    with pytest.raises(PermissionDenied, match="Only someone who holds every permission"):
        access_services.remove_role_member(actor=admin, role=call_handler, member=other)


def test_someone_who_holds_every_permission_of_the_role_may_give_it(met: Force) -> None:
    supervisor = member("sup1", met, "force_admin", "call_handler")
    member("pc5", met)
    call_handler = Role.objects.get(force=met, code="call_handler")
    access_services.add_role_member(actor=supervisor, role=call_handler, username="pc5")
    entry = AuditEntry.objects.get(record_type="core.user", actor=supervisor)
    assert entry.details == {"role": "call_handler", "change": "added"}
    assert entry.record_ids == [str(User.objects.get(username="pc5").pk)]


def test_a_change_of_a_roles_permissions_is_audited(met: Force) -> None:
    admin = member("fa6", met, "force_admin")
    finance = Role.objects.get(force=met, code="finance")
    view_user = Permission.objects.get(codename="view_user", content_type__app_label="core")
    access_services.set_role_permissions(actor=admin, role=finance, permissions=[view_user])
    entry = AuditEntry.objects.get(record_type="core.role", actor=admin)
    assert (entry.operation, entry.details) == ("alteration", {"added": ["core.view_user"], "removed": []})


def test_the_role_page_explains_a_refused_self_escalation(client: Client, met: Force) -> None:
    admin = member("fa7", met, "force_admin")
    client.force_login(admin)
    hr = Role.objects.get(force=met, code="hr")
    response = client.post(f"/access/roles/{hr.pk}/", {"action": "add_member", "username": "fa7"})
    assert response.status_code == 422
    assert "You cannot change your own roles" in response.content.decode()
    assert not hr.members.exists()
