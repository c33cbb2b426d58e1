"""Who may edit what: a force's content editors edit only their force's pages, national editors
edit every force's pages and the national snippets; our roles decide the Wagtail groups."""

from __future__ import annotations

import pytest
from django.test import Client

from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.online.cms.models import ContactPage, EditorGroup, ForceHomePage, NationalAdvice

pytestmark = pytest.mark.django_db


def editor(username: str, force_code: str, role: str) -> User:
    force = Force.objects.get(code=force_code)
    seed_roles(force=force)
    user = User.objects.create_user(username=username, force=force, password="a-long-test-password")
    Role.objects.get(force=force, code=role).members.add(user)
    return User.objects.get(pk=user.pk)  # fresh permission caches


def contact(home: ForceHomePage) -> ContactPage:
    return ContactPage.objects.child_of(home).get()


def test_a_met_editor_edits_met_pages_and_not_city_pages(sites: dict[str, ForceHomePage]) -> None:
    met_editor = editor("met-editor", "met", "content_editor")
    assert contact(sites["met"]).permissions_for_user(met_editor).can_edit()
    assert contact(sites["met"]).permissions_for_user(met_editor).can_publish()
    assert not contact(sites["city"]).permissions_for_user(met_editor).can_edit()
    assert not sites["city"].permissions_for_user(met_editor).can_add_subpage()
    assert not met_editor.has_perm("online_cms.change_nationaladvice")


def test_a_national_editor_edits_every_force_and_the_national_advice(sites: dict[str, ForceHomePage]) -> None:
    national = editor("national-editor", "met", "national_content_editor")
    for home in sites.values():
        assert contact(home).permissions_for_user(national).can_edit()
    assert national.has_perm("online_cms.change_nationaladvice")
    assert national.has_perm("online_cms.change_forcebranding")


def test_the_editor_refuses_a_met_editor_on_a_city_page(client: Client, sites: dict[str, ForceHomePage]) -> None:
    met_editor = editor("met-editor", "met", "content_editor")
    client.force_login(met_editor)
    assert client.get(f"/cms/pages/{contact(sites['met']).pk}/edit/").status_code == 200
    response = client.get(f"/cms/pages/{contact(sites['city']).pk}/edit/")
    assert response.status_code in {302, 403}
    assert "Contact us" not in response.content.decode()
    post = client.post(f"/cms/pages/{contact(sites['city']).pk}/edit/", {"title": "Hacked", "slug": "contact"})
    assert post.status_code in {302, 403}
    assert contact(sites["city"]).title == "Contact us"


def test_staff_without_an_editor_role_cannot_open_the_editor(client: Client, sites: dict[str, ForceHomePage]) -> None:
    hr = editor("met-hr", "met", "hr")
    client.force_login(hr)
    response = client.get("/cms/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_leaving_the_role_removes_the_wagtail_group(sites: dict[str, ForceHomePage]) -> None:
    met_editor = editor("met-editor", "met", "content_editor")
    group = EditorGroup.objects.get(force__code="met").group
    assert met_editor.groups.filter(pk=group.pk).exists()
    Role.objects.get(force__code="met", code="content_editor").members.remove(met_editor)
    assert not met_editor.groups.filter(pk=group.pk).exists()
    assert not contact(sites["met"]).permissions_for_user(User.objects.get(pk=met_editor.pk)).can_edit()


def test_clearing_a_role_also_removes_the_group(sites: dict[str, ForceHomePage]) -> None:
    met_editor = editor("met-editor", "met", "content_editor")
    Role.objects.get(force__code="met", code="content_editor").members.clear()
    assert not met_editor.groups.exists()


def test_the_editor_runs_under_a_relaxed_policy_and_public_pages_under_the_strict_one(
    client: Client, sites: dict[str, ForceHomePage]
) -> None:
    client.force_login(editor("met-editor", "met", "content_editor"))
    editor_policy = client.get("/cms/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in editor_policy
    assert "frame-ancestors 'self'" in editor_policy
    public_policy = client.get("/", HTTP_HOST="met.localhost")["Content-Security-Policy"]
    assert "unsafe-inline" not in public_policy
    assert "frame-ancestors 'none'" in public_policy


def test_national_advice_written_once_shows_on_every_force_site(
    client: Client, sites: dict[str, ForceHomePage]
) -> None:
    NationalAdvice.objects.create(
        title="Stay safe online",
        slug="stay-safe-online",
        summary="Use strong passwords.",
        body="<p>Use three words.</p>",
    )
    for host in ("met.localhost", "cityoflondon.localhost", "thamesvalley.localhost", "hampshire.localhost"):
        home = client.get("/", HTTP_HOST=host).content.decode()
        assert 'href="/national-advice/stay-safe-online/"' in home
        page = client.get("/national-advice/stay-safe-online/", HTTP_HOST=host)
        assert page.status_code == 200
        assert "Use three words." in page.content.decode()


def test_a_met_editor_may_add_news_to_the_met_site_only(client: Client, sites: dict[str, ForceHomePage]) -> None:
    client.force_login(editor("met-editor", "met", "content_editor"))
    met_news = sites["met"].get_children().get(slug="news")
    city_news = sites["city"].get_children().get(slug="news")
    assert client.get(f"/cms/pages/add/online_cms/newspage/{met_news.pk}/").status_code == 200
    assert client.get(f"/cms/pages/add/online_cms/newspage/{city_news.pk}/").status_code in {302, 403}


def test_wagtails_user_and_group_admin_is_for_national_administrators_only(
    client: Client, sites: dict[str, ForceHomePage]
) -> None:
    # A force administrator who is also a content editor holds core.view_user and may open the
    # editor, which once showed every force's staff in Wagtail's user list.
    met_editor = editor("met-editor-admin", "met", "content_editor")
    Role.objects.get(force=met_editor.force, code="force_admin").members.add(met_editor)
    client.force_login(met_editor)
    assert client.get("/cms/").status_code == 200
    for path in ("/cms/users/", "/cms/groups/"):
        response = client.get(path)
        assert response.status_code in {302, 403}, path
        assert "met-editor-admin" not in response.content.decode()
    national = editor("national-admin", "met", "national_admin")
    Role.objects.get(force=national.force, code="content_editor").members.add(national)
    client.force_login(national)
    listing = client.get("/cms/users/")
    assert listing.status_code == 200
    assert "met-editor-admin" in listing.content.decode()
