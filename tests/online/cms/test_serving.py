"""Force pages are served by force, on the force's hostname and under /sites/<code>/ alike."""

from __future__ import annotations

import pytest
from django.test import Client

from bluelamp.online.cms.models import ForceHomePage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("met.localhost:8000", "Metropolitan Police"),
        ("cityoflondon.localhost", "City of London Police"),
        ("thamesvalley.localhost:8000", "Thames Valley Police"),
        ("hampshire.localhost", "Hampshire Constabulary"),
    ],
)
def test_each_force_home_page_answers_on_its_hostname(
    client: Client, sites: dict[str, ForceHomePage], host: str, name: str
) -> None:
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 200
    body = response.content.decode()
    assert name in body
    assert 'href="/report/"' in body  # the report journeys, linked from home and header


def test_the_same_pages_answer_under_the_path_prefix(client: Client, sites: dict[str, ForceHomePage]) -> None:
    home = client.get("/sites/thamesvalley/")
    assert home.status_code == 200
    body = home.content.decode()
    assert "Thames Valley Police" in body
    assert 'href="/sites/thamesvalley/news/"' in body
    assert 'href="/sites/thamesvalley/report/"' in body
    news = client.get("/sites/thamesvalley/news/")
    assert news.status_code == 200
    assert "catalytic converter" in news.content.decode()


def test_links_keep_the_hostname_form(client: Client, sites: dict[str, ForceHomePage]) -> None:
    body = client.get("/", HTTP_HOST="met.localhost").content.decode()
    assert 'href="/news/"' in body
    assert "/sites/met/" not in body


def test_every_page_type_renders(client: Client, sites: dict[str, ForceHomePage]) -> None:
    for path in (
        "/",
        "/news/",
        "/advice/",
        "/advice/staying-safe-on-a-night-out/",
        "/contact/",
        "/privacy/",
        "/national-advice/protect-yourself-from-fraud/",
    ):
        response = client.get(path, HTTP_HOST="met.localhost")
        assert response.status_code == 200, path
    story = client.get("/news/?appeals=1", HTTP_HOST="met.localhost").content.decode()
    assert "moped" in story
    assert "Weapons sweep" not in story


def test_a_force_only_serves_its_own_pages(client: Client, sites: dict[str, ForceHomePage]) -> None:
    assert client.get("/advice/safety-at-work-in-the-city/", HTTP_HOST="cityoflondon.localhost").status_code == 200
    assert client.get("/advice/safety-at-work-in-the-city/", HTTP_HOST="met.localhost").status_code == 404
    assert client.get("/sites/met/advice/safety-at-work-in-the-city/").status_code == 404


def test_unknown_pages_are_not_found(client: Client, sites: dict[str, ForceHomePage]) -> None:
    assert client.get("/no-such-page/", HTTP_HOST="met.localhost").status_code == 404
    assert client.get("/sites/met/news/no-such-story/").status_code == 404
    assert client.get("/national-advice/no-such-advice/", HTTP_HOST="met.localhost").status_code == 404
    assert client.get("/sites/nowhere/").status_code == 404


def test_draft_pages_are_not_served(client: Client, sites: dict[str, ForceHomePage]) -> None:
    contact = sites["met"].get_children().get(slug="contact")
    contact.unpublish()
    assert client.get("/contact/", HTTP_HOST="met.localhost").status_code == 404


def test_staff_host_root_is_not_a_force_site(client: Client, sites: dict[str, ForceHomePage]) -> None:
    # The staff host's home page is bluelamp's own, never a Wagtail page.
    response = client.get("/")
    assert response.status_code in {200, 302}
    assert "Latest news and appeals" not in response.content.decode()


def test_rich_text_links_to_pages_follow_the_visitors_form(client: Client, sites: dict[str, ForceHomePage]) -> None:
    contact = sites["met"].get_children().get(slug="contact").specific
    contact.body = f'<p>See <a linktype="page" id="{sites["met"].get_children().get(slug="news").pk}">our news</a>.</p>'
    contact.save()
    assert 'href="/sites/met/news/"' in client.get("/sites/met/contact/").content.decode()
    assert 'href="/news/"' in client.get("/contact/", HTTP_HOST="met.localhost").content.decode()
