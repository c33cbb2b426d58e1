"""Onboarding a force's website: from the data file, idempotent, and refusing bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from wagtail.models import Page, Site

from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Force, ForceHostname, OutboxEvent
from bluelamp.online.cms import services
from bluelamp.online.cms.branding import MINIMUM_CONTRAST, WHITE, brand_colours, contrast_ratio
from bluelamp.online.cms.models import ForceBranding, ForceHomePage

pytestmark = pytest.mark.django_db


def test_onboarding_the_demo_sites_twice_changes_nothing(sites: dict[str, ForceHomePage]) -> None:
    counts = (Page.objects.count(), Site.objects.count(), Group.objects.count(), ForceHostname.objects.count())
    services.onboard_public_sites()
    assert (Page.objects.count(), Site.objects.count(), Group.objects.count(), ForceHostname.objects.count()) == counts


def test_tenants_without_a_boundary_get_a_site(sites: dict[str, ForceHomePage]) -> None:
    thames = Force.with_boundary.get(code="thamesvalley")
    assert thames.boundary is None
    assert thames.hostnames.filter(hostname="thamesvalley.localhost").exists()
    site = Site.objects.get(root_page=sites["thamesvalley"])
    assert site.hostname == "thamesvalley.localhost"
    assert ForceBranding.for_site(site).colour == "navy"


def test_a_new_force_is_onboarded_with_its_pages_and_branding(client: Client, london: None) -> None:
    home = services.onboard_public_site(
        code="kent",
        name="Kent Police",
        hostnames=["kent.localhost"],
        branding={"colour": "purple", "non_emergency_phone": "101"},
    )
    assert [child.slug for child in home.get_children()] == ["news", "contact", "privacy"]
    assert OutboxEvent.objects.filter(topic="online.site.onboarded", force__code="kent").exists()
    response = client.get("/contact/", HTTP_HOST="kent.localhost")
    assert response.status_code == 200
    assert "bl-force-header--purple" in response.content.decode()


def test_an_editors_changes_survive_onboarding_again(sites: dict[str, ForceHomePage]) -> None:
    site = Site.objects.get(root_page=sites["met"])
    branding = ForceBranding.for_site(site)
    branding.opening_hours = "Changed by an editor"
    branding.save()
    services.onboard_public_sites()
    assert ForceBranding.for_site(Site.objects.get(pk=site.pk)).opening_hours == "Changed by an editor"


def test_a_hostname_of_another_force_is_refused(london: None) -> None:
    with pytest.raises(InvalidInput, match="already belongs to Metropolitan Police"):
        services.onboard_public_site(code="kent", name="Kent Police", hostnames=["met.localhost"])
    assert not Force.objects.filter(code="kent").exists()  # nothing half-done


def test_a_colour_off_the_safe_list_is_refused(london: None) -> None:
    with pytest.raises(InvalidInput, match="colour 'yellow'"):
        services.onboard_public_site(
            code="kent", name="Kent Police", hostnames=["kent.localhost"], branding={"colour": "yellow"}
        )


def test_a_sites_file_with_a_missing_field_is_refused(tmp_path: Path, london: None) -> None:
    sites_file = tmp_path / "sites.json"
    sites_file.write_text(json.dumps({"sites": [{"code": "kent", "name": "Kent Police"}]}))
    with pytest.raises(InvalidInput, match="needs hostnames"):
        services.onboard_public_sites(sites_file=sites_file)


def test_every_brand_colour_keeps_white_text_readable() -> None:
    for colour in brand_colours().values():
        assert contrast_ratio(colour["hex"], WHITE) >= MINIMUM_CONTRAST, colour
    # and the check itself: GOV.UK yellow with white text would fail
    assert contrast_ratio("#ffdd00", WHITE) < MINIMUM_CONTRAST
    assert round(contrast_ratio("#000000", WHITE), 1) == 21.0


def test_the_stylesheet_has_a_class_for_every_brand_colour() -> None:
    scss = (Path(__file__).resolve().parents[3] / "frontend" / "scss" / "_force-brand.scss").read_text()
    for code, colour in brand_colours().items():
        assert f'"{code}": {colour["hex"]}' in scss
