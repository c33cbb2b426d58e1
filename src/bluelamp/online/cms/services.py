"""Writes for force websites: onboarding a force's site and mapping editor roles to Wagtail's
groups. Page content itself is written by editors in Wagtail (which keeps its own revisions
and log)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Locale, Page, Site

from bluelamp.core import services as core_services
from bluelamp.core.errors import InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.models import Force, Role, User
from bluelamp.online.cms.branding import brand_colours
from bluelamp.online.cms.models import (
    ContactPage,
    EditorGroup,
    ForceBranding,
    ForceHomePage,
    NewsIndexPage,
    PrivacyNoticePage,
)

SITES_FILE = Path(__file__).resolve().parent / "data" / "sites.json"
CONTENT_EDITOR_ROLE = "content_editor"
NATIONAL_EDITOR_ROLE = "national_content_editor"
NATIONAL_GROUP_NAME = "National content editors"
# What a force's editors may do to the pages under their home page (Wagtail's page permissions).
FORCE_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
NATIONAL_PAGE_PERMISSIONS = (*FORCE_PAGE_PERMISSIONS, "bulk_delete_page")
IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")
BRANDING_FIELDS = (
    "display_name",
    "colour",
    "emergency_phone",
    "non_emergency_phone",
    "textphone",
    "opening_hours",
    "x_url",
    "facebook_url",
    "instagram_url",
)
PRIVACY_TEXT = (
    "<p>{name} uses the information you give on this site to deal with what you report and to keep "
    "you informed. We keep it only as long as we need it and share it only where the law allows.</p>"
    "<h2>Your rights</h2><p>You can ask for a copy of the information we hold about you, and ask us "
    "to correct it. Contact the data protection officer through the contact page.</p>"
)


def _permissions(app_label: str, codenames: Iterable[str]) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label=app_label, codename__in=list(codenames)))


def _check_branding(branding: dict[str, Any], where: str) -> None:
    unknown = set(branding) - set(BRANDING_FIELDS)
    if unknown:
        raise InvalidInput(f"{where}: unknown branding fields {', '.join(sorted(unknown))}.")
    colour = branding.get("colour")
    if colour is not None and colour not in brand_colours():
        raise InvalidInput(f"{where}: colour {colour!r} is not one of {', '.join(brand_colours())}.")


def _root_page() -> Page:
    """Wagtail's root page (made by its migrations; made again if the tables were emptied, as
    tests that empty the database between runs do)."""
    root = Page.get_first_root_node()
    if root is None:
        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.add_root(
            instance=Page(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page))
        )
    return root


def _root_collection() -> Collection:
    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def _add_child_once(parent: Page, page: Page) -> Page:
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing is not None:
        return existing.specific
    parent.add_child(instance=page)
    return page


@transaction.atomic
def onboard_public_site(
    *,
    code: str,
    name: str,
    hostnames: list[str],
    short_name: str = "",
    port: int = 80,
    branding: dict[str, Any] | None = None,
) -> ForceHomePage:
    """Give a force its public site: the force (created without a boundary if new), its
    hostnames, a home page with news, contact and privacy pages, a Wagtail Site, branding, an
    image collection and the Wagtail group its content editors join. Running it again changes
    nothing that exists (content editors' work is never overwritten); branding is only set
    when the site is first made."""
    where = f"site {code}"
    branding = dict(branding or {})
    _check_branding(branding, where)
    if not hostnames:
        raise InvalidInput(f"{where}: give at least one hostname.")
    force = core_services.add_force(code=code, name=name, short_name=short_name)
    for hostname in hostnames:
        try:
            core_services.add_force_hostname(force=force, hostname=hostname)
        except InvalidInput as error:
            raise InvalidInput(f"{where}: {error.message}") from None

    home = ForceHomePage.objects.filter(force=force).first()
    created = home is None
    if home is None:
        root = _root_page()
        home = ForceHomePage(
            title=branding.get("display_name") or force.name,
            slug=force.code,
            force=force,
            intro=f"<p>Welcome to {force.name}. Report a crime or other incident online, "
            "find advice and contact us.</p>",
        )
        root.add_child(instance=home)
    _add_child_once(
        home, NewsIndexPage(title="News and appeals", slug="news", show_in_menus=True, intro="<p>Latest news.</p>")
    )
    _add_child_once(
        home,
        ContactPage(
            title="Contact us",
            slug="contact",
            show_in_menus=True,
            intro="<p>If a crime is happening now or someone is in danger, call 999.</p>",
        ),
    )
    _add_child_once(
        home, PrivacyNoticePage(title="Privacy notice", slug="privacy", body=PRIVACY_TEXT.format(name=force.name))
    )

    site = Site.objects.filter(root_page=home).first()
    if site is None:
        site = Site.objects.create(hostname=hostnames[0].lower(), port=port, root_page=home, site_name=force.name)
    settings = ForceBranding.for_site(site)
    if created or not settings.display_name:
        for field, value in {"display_name": force.name, **branding}.items():
            setattr(settings, field, value)
        settings.save()

    group = _force_editor_group(force, home)
    emit("online.site.onboarded", force=force, home_page_id=home.pk, site_id=site.pk, created=created)
    _resync_role_members(force=force, group=group)
    return home  # type: ignore[no-any-return]


def _force_editor_group(force: Force, home: ForceHomePage) -> Group:
    link = EditorGroup.objects.filter(force=force).select_related("group").first()
    if link is None:
        group, _ = Group.objects.get_or_create(name=f"Content editors: {force.name}")
        link = EditorGroup.objects.create(group=group, force=force)
    group = link.group
    for permission in _permissions("wagtailcore", FORCE_PAGE_PERMISSIONS):
        GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)
    root_collection = _root_collection()
    collection = root_collection.get_children().filter(name=force.name).first()
    if collection is None:
        collection = root_collection.add_child(name=force.name)
    for permission in _permissions("wagtailimages", IMAGE_PERMISSIONS):
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)
    return group


@transaction.atomic
def ensure_national_editor_group() -> Group:
    """The Wagtail group of national content editors: page rights from the tree's root (every
    force's pages) and images in every collection. Snippet and branding rights come from the
    role's Django permissions (roles.json)."""
    link = EditorGroup.objects.filter(force__isnull=True).select_related("group").first()
    if link is None:
        group, _ = Group.objects.get_or_create(name=NATIONAL_GROUP_NAME)
        link = EditorGroup.objects.create(group=group, force=None)
    group = link.group
    root = _root_page()
    for permission in _permissions("wagtailcore", NATIONAL_PAGE_PERMISSIONS):
        GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)
    for permission in _permissions("wagtailimages", IMAGE_PERMISSIONS):
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=_root_collection(), permission=permission
        )
    return group


def _resync_role_members(*, force: Force, group: Group) -> None:
    for user in User.objects.filter(roles__force=force, roles__code=CONTENT_EDITOR_ROLE).distinct():
        sync_editor_groups(user=user)


@transaction.atomic
def sync_editor_groups(*, user: User) -> list[str]:
    """Put ``user`` in exactly the Wagtail editor groups their roles call for: the content
    editor role of a force → that force's group; the national content editor role → the
    national group. Called whenever role membership changes (signals.py). Returns the names."""
    wanted: set[int] = set()
    for role in Role.objects.filter(members=user, code__in=[CONTENT_EDITOR_ROLE, NATIONAL_EDITOR_ROLE]):
        if role.code == NATIONAL_EDITOR_ROLE:
            wanted.add(ensure_national_editor_group().pk)
        else:
            link = EditorGroup.objects.filter(force_id=role.force_id).first()
            if link is not None:  # the force has no site yet: nothing to edit
                wanted.add(link.group_id)
    managed = set(EditorGroup.objects.values_list("group_id", flat=True))
    current = set(user.groups.filter(pk__in=managed).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
    if current != wanted:
        emit("online.editor.groups_changed", force=user.force, user_id=user.pk, group_ids=sorted(wanted))
    return sorted(Group.objects.filter(pk__in=wanted).values_list("name", flat=True))


def onboard_public_sites(*, sites_file: Path = SITES_FILE) -> list[ForceHomePage]:
    """Onboard every site listed in a sites file (see data/sites.json)."""
    try:
        plan = json.loads(Path(sites_file).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInput(f"Cannot read the sites file {sites_file}: {error}.") from None
    homes = []
    with transaction.atomic():
        ensure_national_editor_group()
        for number, entry in enumerate(plan.get("sites", []), start=1):
            missing = [key for key in ("code", "name", "hostnames") if not entry.get(key)]
            if missing:
                raise InvalidInput(f"Site {number} in {sites_file} needs {', '.join(missing)}.")
            homes.append(
                onboard_public_site(
                    code=entry["code"],
                    name=entry["name"],
                    short_name=entry.get("short_name", ""),
                    hostnames=entry["hostnames"],
                    port=int(entry.get("port", 80)),
                    branding=entry.get("branding"),
                )
            )
    return homes
