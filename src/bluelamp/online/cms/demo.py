"""Demo content for the four demo force websites: short, plausible, invented (no real people or
cases). ``seed_demo_sites`` is idempotent: pages that exist (by slug) are left as editors left them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from wagtail.models import Page

from bluelamp.online.cms import services
from bluelamp.online.cms.models import AdvicePage, ForceHomePage, NationalAdvice, NewsIndexPage, NewsPage

NATIONAL_ADVICE = [
    {
        "slug": "protect-yourself-from-fraud",
        "title": "Protect yourself from fraud",
        "summary": "How to spot a scam call, message or email, and what to do if you have been caught out.",
        "body": (
            "<p>Your bank or the police will never ask you to move money to a 'safe account' or to hand "
            "over your card or PIN.</p><h2>If you think it is a scam</h2><ul><li>Hang up and call your "
            "bank on the number on the back of your card, from a different phone if you can.</li>"
            "<li>Forward scam texts to 7726 and scam emails to report@phishing.gov.uk.</li></ul>"
            "<h2>If you have lost money</h2><p>Tell your bank straight away, then report it to Report "
            "Fraud, the national fraud and cybercrime reporting service.</p>"
        ),
    },
    {
        "slug": "keep-your-bike-safe",
        "title": "Keep your bike safe",
        "summary": "Simple steps that make a bike much less likely to be stolen, and much more likely to come back.",
        "body": (
            "<p>Use two good locks of different kinds, lock the frame and both wheels to something fixed, "
            "and park where people can see.</p><p>Register your bike's frame number with a national bike "
            "register and keep a photo of it: officers check found bikes against the register.</p>"
        ),
    },
    {
        "slug": "anti-social-behaviour-what-we-can-do",
        "title": "Anti-social behaviour: what we can do",
        "summary": "What counts as anti-social behaviour, who deals with it, and when to call the police.",
        "body": (
            "<p>Anti-social behaviour is behaviour that causes harassment, alarm or distress. Some of it, "
            "such as noise from a neighbour or fly-tipping, is dealt with by your council.</p>"
            "<p>Report it to us when it is intimidating or threatening, or when it involves drugs or "
            "vehicles. If someone is in danger now, call 999.</p>"
        ),
    },
]

# Per force: news (title, days ago, summary, body, appeal reference or None) and local advice.
FORCE_CONTENT: dict[str, dict[str, Any]] = {
    "met": {
        "news": [
            (
                "Appeal after a moped-enabled phone snatch in Camden",
                2,
                "Detectives want to speak to anyone who saw two people on a grey moped on Camden High Street.",
                "<p>A woman's phone was snatched at about 9.40pm as she waited at a bus stop. She was not "
                "hurt. Officers are reviewing CCTV and would like to hear from anyone with dash-cam footage.</p>",
                "CAD 4711/21NOV26",
            ),
            (
                "Weapons sweep in Lambeth parks",
                5,
                "Officers and volunteers searched three parks and took two knives off the streets.",
                "<p>Neighbourhood officers worked with park staff and local volunteers. Anyone can hand a "
                "knife in anonymously at a police station front counter.</p>",
                None,
            ),
            (
                "New safer neighbourhoods team base opens in Croydon",
                9,
                "The team can now be found at a shared base in the town centre.",
                "<p>The base is shared with council community safety staff. Drop-in sessions run every "
                "Saturday morning.</p>",
                None,
            ),
        ],
        "advice": ("staying-safe-on-a-night-out", "Staying safe on a night out", "Plan how you will get home."),
    },
    "city": {
        "news": [
            (
                "Appeal for witnesses to a cyclist collision near Bank junction",
                1,
                "A cyclist was knocked from their bike on Queen Victoria Street on Tuesday evening.",
                "<p>The cyclist had minor injuries. Officers would like to hear from anyone who saw the "
                "collision or has camera footage.</p>",
                "CAD 2211/24NOV26",
            ),
            (
                "Advice sessions for City workers on investment fraud",
                6,
                "Officers will be at three City offices this month to talk about investment scams.",
                "<p>Sessions are open to anyone working in the Square Mile. No booking is needed.</p>",
                None,
            ),
        ],
        "advice": ("safety-at-work-in-the-city", "Safety at work in the City", "Report suspicious behaviour."),
    },
    "thamesvalley": {
        "news": [
            (
                "Appeal after a catalytic converter theft in Reading",
                3,
                "Catalytic converters were cut from two cars parked in Caversham overnight.",
                "<p>Residents heard a power tool at about 3am. Anyone with doorbell camera footage is asked "
                "to get in touch.</p>",
                "TVP 43260188",
            ),
            (
                "Rural crime team visits Oxfordshire farms",
                8,
                "The team marked tools and quad bikes at an event near Thame.",
                "<p>Property marking makes stolen machinery harder to sell and easier to return.</p>",
                None,
            ),
        ],
        "advice": ("rural-crime", "Rural crime", "Protect your farm, machinery and livestock."),
    },
    "hampshire": {
        "news": [
            (
                "Appeal after criminal damage to beach huts in Southsea",
                4,
                "Several beach huts were damaged on the seafront on Saturday night.",
                "<p>Doors were forced and windows broken. Officers are asking people who were on the "
                "promenade between 10pm and midnight to come forward.</p>",
                "44260210987",
            ),
            (
                "Ferry port operation targets stolen vehicles",
                7,
                "A joint operation at Portsmouth port recovered three stolen vans.",
                "<p>Officers worked with border staff to check vehicles leaving the country.</p>",
                None,
            ),
        ],
        "advice": ("water-safety", "Water safety on the coast", "Know the tides before you set out."),
    },
}


def _seed_national_advice() -> dict[str, NationalAdvice]:
    advice = {}
    for spec in NATIONAL_ADVICE:
        item, _ = NationalAdvice.objects.get_or_create(slug=spec["slug"], defaults=spec)
        advice[spec["slug"]] = item
    return advice


def _add_once(parent: Page, page: Page) -> Page:
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        return existing.specific
    parent.add_child(instance=page)
    return page


def _seed_force(home: ForceHomePage, content: dict[str, Any], national: dict[str, NationalAdvice]) -> None:
    today = dt.date.today()
    news_index = NewsIndexPage.objects.child_of(home).get(slug="news")
    for title, days_ago, summary, body, reference in content["news"]:
        slug = "-".join(title.lower().replace(",", "").split())[:60].rstrip("-")
        _add_once(
            news_index,
            NewsPage(
                title=title,
                slug=slug,
                date=today - dt.timedelta(days=days_ago),
                summary=summary,
                body=body,
                is_appeal=reference is not None,
                appeal_reference=reference or "",
            ),
        )
    advice_hub = _add_once(
        home,
        AdvicePage(
            title="Advice",
            slug="advice",
            show_in_menus=True,
            summary="Advice on staying safe and on what to do after a crime.",
            body=[
                ("paragraph", "<p>Advice written by our officers, and advice shared by every force.</p>"),
                ("national_advice", national["protect-yourself-from-fraud"]),
            ],
        ),
    )
    slug, title, lead = content["advice"]
    _add_once(
        advice_hub,
        AdvicePage(
            title=title,
            slug=slug,
            summary=lead,
            body=[
                ("heading", "Before you go"),
                ("paragraph", f"<p>{lead} Tell someone where you are going and when you expect to be back.</p>"),
                ("warning", "If you or someone else is in danger, call 999."),
                ("inset", "If you cannot speak when you call 999, press 55 when asked and follow the instructions."),
                ("national_advice", national["anti-social-behaviour-what-we-can-do"]),
            ],
        ),
    )
    if not home.featured_links:
        home.featured_links = [
            ("link", {"title": "Report a crime", "description": "Tell us about a crime online.", "url": "report/"}),
            (
                "link",
                {"title": "Advice", "description": "Staying safe, and what to do after a crime.", "page": advice_hub},
            ),
        ]
        home.save()


@transaction.atomic
def seed_demo_sites() -> list[ForceHomePage]:
    """The four demo force websites with national advice, news, appeals and advice pages."""
    homes = services.onboard_public_sites()
    national = _seed_national_advice()
    for home in homes:
        content = FORCE_CONTENT.get(home.force.code)
        if content:
            _seed_force(home, content, national)
    return homes
