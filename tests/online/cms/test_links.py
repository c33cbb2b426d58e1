"""No link an editor saves can run script in a visitor's browser: featured links, rich text and
the social-media addresses all refuse ``javascript:`` (and its disguises)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.blocks import StructBlockValidationError
from wagtail.rich_text import RichText

from bluelamp.online.cms.links import is_safe_link
from bluelamp.online.cms.models import (
    AdvicePage,
    ContactPage,
    FeaturedLinkBlock,
    ForceBranding,
    ForceHomePage,
    NationalAdvice,
)

pytestmark = pytest.mark.django_db
SCRIPT_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    " javascript:x",
    "data:text/html,x",
]


@pytest.mark.parametrize("url", SCRIPT_LINKS)
def test_script_links_are_unsafe(url: str) -> None:
    assert not is_safe_link(url)


@pytest.mark.parametrize("url", ["report/", "/news/", "https://www.gov.uk/", "mailto:press@met.example", "tel:101"])
def test_ordinary_links_are_safe(url: str) -> None:
    assert is_safe_link(url)


@pytest.mark.parametrize("url", SCRIPT_LINKS)
def test_a_featured_link_cannot_be_javascript(url: str) -> None:
    block = FeaturedLinkBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"title": "Report", "url": url}))
    assert block.clean(block.to_python({"title": "Report", "url": "report/"}))["url"] == "report/"


def test_a_rich_text_link_cannot_be_javascript(sites: dict[str, ForceHomePage]) -> None:
    contact = ContactPage.objects.child_of(sites["met"]).get()
    contact.body = '<p>See <a href="javascript:alert(document.cookie)">our advice</a></p>'
    with pytest.raises(ValidationError, match="is not allowed"):
        contact.full_clean()
    contact.body = '<p>See <a href="https://www.gov.uk/">GOV.UK</a></p>'
    contact.full_clean()

    advice = AdvicePage.objects.descendant_of(sites["met"]).first()
    assert advice is not None
    advice.body = [("paragraph", RichText('<p><a href="jav&#x09;ascript:alert(1)">x</a></p>'))]
    with pytest.raises(ValidationError, match="is not allowed"):
        advice.full_clean()

    national = NationalAdvice(title="Fraud", slug="fraud", summary="Fraud advice.", body='<a href="javascript:x">x</a>')
    with pytest.raises(ValidationError, match="is not allowed"):
        national.full_clean()


def test_social_addresses_cannot_be_javascript(sites: dict[str, ForceHomePage]) -> None:
    branding = ForceBranding.objects.first()
    assert branding is not None
    branding.x_url = "javascript:alert(1)"
    with pytest.raises(ValidationError):
        branding.full_clean()
