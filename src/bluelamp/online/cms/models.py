"""Force websites in Wagtail: each force has one home page (the root of its Wagtail Site) with
news and appeals, advice and contact pages under it; national advice is a snippet written once
and shown on every force's site; each site's branding is a site setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.blocks import StreamValue, StructBlockValidationError
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site
from wagtail.rich_text import RichText
from wagtail.search import index
from wagtail.snippets.blocks import SnippetChooserBlock

from bluelamp.core.models import Force
from bluelamp.online.cms import routing
from bluelamp.online.cms.branding import colour_choices
from bluelamp.online.cms.links import REFUSAL, unsafe_links_in, validate_link

INLINE_FEATURES = ["bold", "italic", "link", "ol", "ul"]
BODY_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul"]
NEWS_PER_PAGE = 10


class NationalAdvice(index.Indexed, models.Model):
    """Advice written once by the national content team and shown on every force's site
    (at ``national-advice/<slug>/``), and embeddable in any force's advice page."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=250, help_text="One or two sentences shown in lists.")
    body = RichTextField(features=BODY_FEATURES)
    listed = models.BooleanField(default=True, help_text="List it on every force's home page.")
    updated_at = models.DateTimeField(auto_now=True)

    panels = [FieldPanel("title"), FieldPanel("slug"), FieldPanel("summary"), FieldPanel("body"), FieldPanel("listed")]
    search_fields = [index.SearchField("title"), index.SearchField("summary"), index.SearchField("body")]

    class Meta:
        ordering = ["title"]
        verbose_name = "national advice"
        verbose_name_plural = "national advice"

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        refuse_unsafe_rich_text_links(self)


class EditorGroup(models.Model):
    """The Wagtail group our editor roles map to: one per force (page permissions on that
    force's home page) and one national (``force`` empty: every page and the snippets)."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="+")
    force = models.OneToOneField(Force, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return self.group.name


class FeaturedLinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=80)
    description = blocks.CharBlock(max_length=160, required=False)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.CharBlock(
        required=False, max_length=200, help_text="An address instead of a page, e.g. report/ or https://…"
    )

    class Meta:
        icon = "link"
        template = "online_cms/blocks/featured_link.html"

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        try:
            validate_link(cleaned.get("url") or "")
        except ValidationError as error:
            raise StructBlockValidationError(block_errors={"url": error}) from None
        return cleaned


def _rich_text_in(value: Any) -> Iterator[str]:
    """The HTML of every rich text in a field's value, however deep in a stream of blocks."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, RichText):
        yield value.source
    elif isinstance(value, StreamValue.StreamChild):
        yield from _rich_text_in(value.value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _rich_text_in(item)
    elif isinstance(value, StreamValue | list | tuple):
        for item in value:
            yield from _rich_text_in(item)


def refuse_unsafe_rich_text_links(instance: models.Model) -> None:
    """A ``javascript:`` (or other unsafe) link in any rich text of ``instance``."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, RichTextField | StreamField):
            unsafe = [
                href for html in _rich_text_in(getattr(instance, field.attname)) for href in unsafe_links_in(html)
            ]
            if unsafe:
                errors[field.name] = f"{REFUSAL}: {unsafe[0][:40]!r} is not allowed."
    if errors:
        raise ValidationError(errors)


class AdviceBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(max_length=120, form_classname="title", template="online_cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=BODY_FEATURES, template="online_cms/blocks/paragraph.html")
    inset = blocks.TextBlock(help_text="Information to stand out.", template="online_cms/blocks/inset.html")
    warning = blocks.TextBlock(help_text="A warning, e.g. call 999.", template="online_cms/blocks/warning.html")
    national_advice = SnippetChooserBlock(
        "online_cms.NationalAdvice", template="online_cms/blocks/national_advice.html"
    )


class ForceSitePage(Page):
    """What every page of a force's site shares: the force, its branding and the navigation,
    and links in the form the visitor is using (hostname or /sites/<code>/)."""

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        refuse_unsafe_rich_text_links(self)

    def force_home(self) -> ForceHomePage | None:
        if isinstance(self, ForceHomePage):
            return self
        found: ForceHomePage | None = (
            ForceHomePage.objects.ancestor_of(self).select_related("force").order_by("-depth").first()
        )
        return found

    def get_url_parts(self, request: Any = None) -> tuple[int | None, str | None, str | None] | None:
        home = self.force_home()
        if home is None:
            return super().get_url_parts(request)  # type: ignore[no-any-return]
        relative = self.url_path[len(home.url_path) :]
        site = Site.objects.filter(root_page_id=home.pk).first()
        site_id = site.pk if site else None
        current = routing.current_request(request)
        force = getattr(current, "public_force", None)
        if current is not None and force is not None and force.pk == home.force_id:
            return site_id, "", routing.page_path(current, relative)
        if site is None:
            return None
        return site_id, site.root_url, routing.canonical_path(relative)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        home = self.force_home()
        if home is None:
            raise Http404("This page is not part of a force's site.")
        context.update(home.site_context(request))
        return context


class ForceHomePage(RoutablePageMixin, ForceSitePage):
    """The home page of one force's site, and the root of its Wagtail Site."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="+", editable=False)
    intro = RichTextField(features=INLINE_FEATURES, blank=True)
    featured_links = StreamField([("link", FeaturedLinkBlock())], blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("featured_links")]
    parent_page_types = ["wagtailcore.Page"]
    is_creatable = False  # made by onboard_public_site, which ties it to its force and Site
    subpage_types = [
        "online_cms.NewsIndexPage",
        "online_cms.AdvicePage",
        "online_cms.ContactPage",
        "online_cms.PrivacyNoticePage",
    ]
    template = "online_cms/force_home_page.html"

    class Meta:
        verbose_name = "force home page"

    def site_context(self, request: HttpRequest) -> dict[str, Any]:
        """Force, branding and navigation for every page of this site."""
        site = Site.objects.filter(root_page_id=self.pk).first()
        branding = ForceBranding.for_site(site) if site else ForceBranding(display_name=self.force.name)
        navigation = [
            child
            for child in self.get_children().live().in_menu().specific()
            if not isinstance(child, PrivacyNoticePage)
        ]
        privacy = PrivacyNoticePage.objects.child_of(self).live().first()
        return {
            "home": self,
            "force": self.force,
            "branding": branding,
            "navigation": navigation,
            "privacy_page": privacy,
        }

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["latest_news"] = NewsPage.objects.live().descendant_of(self).order_by("-date", "-pk")[:3]
        context["national_advice"] = NationalAdvice.objects.filter(listed=True)
        context["news_index"] = NewsIndexPage.objects.child_of(self).live().first()
        return context

    @path("national-advice/<slug:slug>/", name="national_advice")
    def national_advice_view(self, request: HttpRequest, slug: str) -> HttpResponse:
        advice = get_object_or_404(NationalAdvice, slug=slug)
        context = ForceSitePage.get_context(self, request)
        context.update(advice=advice, page=self)
        return TemplateResponse(request, "online_cms/national_advice.html", context)


class NewsIndexPage(ForceSitePage):
    intro = RichTextField(features=INLINE_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["online_cms.ForceHomePage"]
    subpage_types = ["online_cms.NewsPage"]
    template = "online_cms/news_index_page.html"

    class Meta:
        verbose_name = "news and appeals index"

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.live().child_of(self).order_by("-date", "-pk")
        if request.GET.get("appeals") == "1":
            news = news.filter(is_appeal=True)
        context["news_page"] = Paginator(news, NEWS_PER_PAGE).get_page(request.GET.get("page"))
        context["appeals_only"] = request.GET.get("appeals") == "1"
        return context


class NewsPage(ForceSitePage):
    """A news story, or an appeal for information when ``is_appeal`` is set."""

    date = models.DateField()
    summary = models.CharField(max_length=250)
    body = RichTextField(features=BODY_FEATURES)
    is_appeal = models.BooleanField(default=False, verbose_name="This is an appeal for information")
    appeal_reference = models.CharField(
        max_length=40, blank=True, help_text="The reference people should quote, e.g. CAD 4711/14JUL26."
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel([FieldPanel("is_appeal"), FieldPanel("appeal_reference")], heading="Appeal"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["online_cms.NewsIndexPage"]
    subpage_types: list[str] = []
    template = "online_cms/news_page.html"

    class Meta:
        verbose_name = "news story or appeal"


class AdvicePage(ForceSitePage):
    """Advice for the public, in blocks; national advice can be embedded as it is."""

    summary = models.CharField(max_length=250, blank=True)
    body = StreamField(AdviceBodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary")]
    parent_page_types = ["online_cms.ForceHomePage", "online_cms.AdvicePage"]
    subpage_types = ["online_cms.AdvicePage"]
    template = "online_cms/advice_page.html"

    class Meta:
        verbose_name = "advice page"


class ContactPage(ForceSitePage):
    """How to contact the force: numbers, opening hours and social links come from the site's
    branding settings, so they are the same wherever they appear."""

    intro = RichTextField(features=INLINE_FEATURES, blank=True)
    body = RichTextField(features=BODY_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["online_cms.ForceHomePage"]
    subpage_types: list[str] = []
    template = "online_cms/contact_page.html"

    class Meta:
        verbose_name = "contact page"


class PrivacyNoticePage(ForceSitePage):
    body = RichTextField(features=BODY_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["online_cms.ForceHomePage"]
    subpage_types: list[str] = []
    template = "online_cms/privacy_notice_page.html"

    class Meta:
        verbose_name = "privacy notice"


@register_setting(icon="site")
class ForceBranding(BaseSiteSetting):
    """A force site's name, colour, logo and contact details."""

    display_name = models.CharField(max_length=120, help_text="Shown in the header, e.g. Thames Valley Police.")
    colour = models.CharField(
        max_length=20,
        choices=colour_choices,
        default="black",
        help_text="Header colour; only colours that keep white text readable are offered.",
    )
    logo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    emergency_phone = models.CharField(max_length=20, default="999")
    non_emergency_phone = models.CharField(max_length=20, default="101")
    textphone = models.CharField(max_length=20, blank=True, default="18000")
    opening_hours = models.TextField(blank=True, help_text="One line per entry, e.g. 'Front counter: 8am to 8pm'.")
    x_url = models.URLField(blank=True, verbose_name="X (Twitter) address")
    facebook_url = models.URLField(blank=True, verbose_name="Facebook address")
    instagram_url = models.URLField(blank=True, verbose_name="Instagram address")

    panels = [
        FieldPanel("display_name"),
        FieldPanel("colour"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [
                FieldPanel("emergency_phone"),
                FieldPanel("non_emergency_phone"),
                FieldPanel("textphone"),
                FieldPanel("opening_hours"),
            ],
            heading="Contact details",
        ),
        MultiFieldPanel(
            [FieldPanel("x_url"), FieldPanel("facebook_url"), FieldPanel("instagram_url")], heading="Social media"
        ),
    ]

    class Meta:
        verbose_name = "force branding"

    def opening_hours_lines(self) -> list[str]:
        return [line.strip() for line in self.opening_hours.splitlines() if line.strip()]

    def social_links(self) -> list[tuple[str, str]]:
        links = [("X (Twitter)", self.x_url), ("Facebook", self.facebook_url), ("Instagram", self.instagram_url)]
        return [(label, url) for label, url in links if url]
