"""Public pages of a force's site: the report journeys (GOV.UK 'question pages' pattern: a
danger check, one question per page, check your answers, confirmation) and 'track my report'.

Answers live in the session until the report is sent, under a key naming the force of the site
and the journey: a session started on one force's site cannot send a report through another's.
Nothing personal goes into a URL: references and codes are POSTed, and kept in the session."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from bluelamp.core import selectors as core_selectors
from bluelamp.core.errors import DomainError, InvalidInput, PermissionDenied
from bluelamp.core.models import Force, GazetteerPlace
from bluelamp.online import evidence, selectors, services
from bluelamp.online.catalogue import Journey, Question, catalogue
from bluelamp.online.forms import AddInformationForm, DangerForm, EvidenceForm, QuestionForm, TrackForm, form_for
from bluelamp.online.models import Report
from bluelamp.online.routing import route, takes_reports
from bluelamp.online.sites import public_force, site_url

HONEYPOT = "website"  # a field people never see; bots fill it in


def submit_rate(group: str, request: HttpRequest) -> str:
    return str(settings.ONLINE_SUBMIT_RATE)


def public_post_rate(group: str, request: HttpRequest) -> str:
    return str(settings.ONLINE_PUBLIC_POST_RATE)


def add_information_rate(group: str, request: HttpRequest) -> str:
    return str(settings.ONLINE_ADD_INFORMATION_RATE)


def session_or_address(group: str, request: HttpRequest) -> str:
    """The visitor's session; before they have one, their address (counted per address anyway)."""
    return request.session.session_key or f"address:{request.META.get('REMOTE_ADDR', '')}"


def public_post_limit(view: Any) -> Any:
    """Every POST of the public site counts against one limit per address and one per session
    (429 and a page saying so beyond it): nobody signs in here, so nothing else slows a script."""
    for key in ("ip", session_or_address):
        view = ratelimit(group="online:public-post", key=key, rate=public_post_rate, method="POST", block=True)(view)
    return view


def _draft_key(force: Force, journey: Journey) -> str:
    return f"online:draft:{force.pk}:{journey.slug}"


def _done_key(force: Force) -> str:
    return f"online:done:{force.pk}"


def _track_key(force: Force) -> str:
    return f"online:track:{force.pk}"


def _journey(slug: str) -> Journey:
    journey = catalogue().journey(slug)
    if journey is None:
        raise Http404("No such report.")
    return journey


def _draft(request: HttpRequest, force: Force, journey: Journey) -> dict[str, Any] | None:
    draft = request.session.get(_draft_key(force, journey))
    if not isinstance(draft, dict) or draft.get("force") != force.pk or draft.get("journey") != journey.slug:
        return None
    return draft


def _save_draft(request: HttpRequest, force: Force, journey: Journey, draft: dict[str, Any]) -> None:
    request.session[_draft_key(force, journey)] = draft
    request.session.modified = True


def _go(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(site_url(request, name, **kwargs))


def _question_url(request: HttpRequest, journey: Journey, question: Question, change: bool = False) -> str:
    url = site_url(request, "online:question", journey=journey.slug, question=question.id)
    return f"{url}?change=1" if change else url


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    force = public_force(request)
    return render(request, template, {"force": force, "exit_page": True, **context}, status=status)


@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    force = public_force(request)
    return render(
        request,
        "online/report_index.html",
        {"force": force, "journeys": catalogue().journeys.values(), "onboarded": takes_reports(force)},
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from bluelamp.online import retention

    policy = retention.policy_on(timezone.localdate())
    return render(request, "online/privacy.html", {"force": public_force(request), "policy": policy})


@public_post_limit
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, journey: str) -> HttpResponse:
    """The danger check, before anything else: 'Is anyone in immediate danger?'"""
    force, chosen = public_force(request), _journey(journey)
    if not takes_reports(force):
        raise Http404("This force does not take reports online.")
    form = DangerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["danger"] == "yes":
            return _go(request, "online:emergency", journey=chosen.slug)
        draft = _draft(request, force, chosen) or {
            "force": force.pk,
            "journey": chosen.slug,
            "answers": {},
            "key": secrets.token_urlsafe(24),
        }
        _save_draft(request, force, chosen, draft)
        return HttpResponseRedirect(_question_url(request, chosen, chosen.visible(draft["answers"])[0]))
    return _page(
        request,
        "online/danger.html",
        {"form": form, "journey": chosen, "back_url": site_url(request, "online:report-index")},
        status=422 if form.errors else 200,
    )


@require_GET
def emergency(request: HttpRequest, journey: str) -> HttpResponse:
    chosen = _journey(journey)
    return _page(
        request,
        "online/emergency.html",
        {"journey": chosen, "back_url": site_url(request, "online:start", journey=journey)},
    )


@require_GET
def advice(request: HttpRequest, journey: str, signpost: str) -> HttpResponse:
    chosen = _journey(journey)
    found = catalogue().signposts.get(signpost)
    if found is None:
        raise Http404("No such advice.")
    return _page(
        request, "online/advice.html", {"journey": chosen, "signpost": found, "back_url": _back(request, chosen)}
    )


def _back(request: HttpRequest, journey: Journey) -> str:
    """Where 'Back' goes from a stop page: the last question answered."""
    force = public_force(request)
    draft = _draft(request, force, journey)
    answered = [q for q in journey.visible(draft["answers"]) if q.id in draft["answers"]] if draft else []
    if answered:
        return _question_url(request, journey, answered[-1])
    return site_url(request, "online:start", journey=journey.slug)


def _previous(request: HttpRequest, journey: Journey, question: Question, answers: dict[str, Any]) -> str:
    visible = journey.visible(answers)
    position = visible.index(question) if question in visible else 0
    if position == 0:
        return site_url(request, "online:start", journey=journey.slug)
    return _question_url(request, journey, visible[position - 1])


def _next(request: HttpRequest, journey: Journey, question: Question, answers: dict[str, Any], change: bool) -> str:
    visible = journey.visible(answers)
    if change:
        # Back to 'Check your answers', unless the change opened a question not yet answered.
        missing = next((q for q in visible if q.id not in answers and q.type != "evidence"), None)
        if missing is None:
            return site_url(request, "online:check", journey=journey.slug)
        return _question_url(request, journey, missing, change=True)
    position = visible.index(question)
    if position + 1 < len(visible):
        return _question_url(request, journey, visible[position + 1])
    return site_url(request, "online:check", journey=journey.slug)


def _after_location(request: HttpRequest, force: Force, journey: Journey, draft: dict[str, Any], value: Any) -> str:
    """Where a report about this place goes; '' to carry on as normal."""
    routed = route(force, value)
    draft["route"] = routed.force.code if routed.force and routed.outcome in {"here", "other"} else None
    if routed.outcome in {"outside", "not_onboarded"}:
        draft["elsewhere"] = routed.area_force_name
        return site_url(request, "online:outside-area", journey=journey.slug)
    if routed.outcome == "other":
        return site_url(request, "online:other-force", journey=journey.slug)
    return ""


@public_post_limit
@never_cache
@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, journey: str, question: str) -> HttpResponse:
    force, chosen = public_force(request), _journey(journey)
    draft = _draft(request, force, chosen)
    if draft is None:
        return _go(request, "online:start", journey=chosen.slug)
    asked = chosen.question(question)
    answers: dict[str, Any] = draft["answers"]
    if asked is None or not asked.shown(answers):
        raise Http404("No such question.")
    change = request.GET.get("change") == "1"
    problem = ""
    places: list[GazetteerPlace] | None = None
    if request.method == "POST" and asked.type == "location" and request.POST.get("action") in FIND_ACTIONS:
        form, places = _find_place(asked, request.POST)
    elif request.method == "POST":
        form = form_for(asked, request.POST, request.FILES)
        if form.is_valid():
            value = form.answer()
            if isinstance(form, EvidenceForm):
                value, problem = _take_files(form, answers.get(asked.id) or [], _draft_bytes(request))
            if not problem:
                answers[asked.id] = value
                draft["answers"] = answers
                chosen_option = asked.option(str(value)) if asked.options and isinstance(value, str) else None
                stop = ""
                if chosen_option and chosen_option.signpost:
                    stop = site_url(request, "online:advice", journey=chosen.slug, signpost=chosen_option.signpost)
                elif asked.type == "location":
                    stop = _after_location(request, force, chosen, draft, value)
                _save_draft(request, force, chosen, draft)
                if stop:
                    if change:
                        draft["change"] = True
                        _save_draft(request, force, chosen, draft)
                    return HttpResponseRedirect(stop)
                return HttpResponseRedirect(_next(request, chosen, asked, answers, change))
            form = form_for(asked, value=None)
    else:
        form = form_for(asked, value=answers.get(asked.id))
    back = (
        site_url(request, "online:check", journey=chosen.slug) if change else _previous(request, chosen, asked, answers)
    )
    return _page(
        request,
        form.template,
        {
            "form": form,
            "journey": chosen,
            "question": asked,
            "back_url": back,
            "change": change,
            "problem": problem,
            "places": places,
            "files": answers.get(asked.id) or [] if asked.type == "evidence" else [],
            "max_files": settings.ONLINE_UPLOAD_MAX_FILES,
            "max_megabytes": settings.ONLINE_UPLOAD_MAX_BYTES // (1024 * 1024),
        },
        status=422 if (form.errors or problem) else 200,
    )


FIND_ACTIONS = ("find", "use-place")


def _find_place(asked: Question, sent: QueryDict) -> tuple[QuestionForm, list[GazetteerPlace] | None]:
    """Find this place: the named places matching what was typed (as GOV.UK's address lookup
    does). Use this place: the chosen one goes in the form with its map point, for the person to
    add detail and continue. Nothing is saved until they do."""
    typed = (sent.get("address") or "").strip()
    problem = ""
    if sent.get("action") == "use-place":
        chosen = core_selectors.gazetteer_place(sent.get("place", ""))
        if chosen is not None:
            return form_for(asked, value={"address": str(chosen), "lat": chosen.lat, "lon": chosen.lon}), None
        problem = "Choose one of the places found, or search again"
    places = core_selectors.find_places(typed)
    if not places and not problem:
        problem = (
            f"We could not find “{typed}”. Check the spelling, or describe the place and continue"
            if typed
            else "Enter the name of a street, station or place to find"
        )
    if not problem:
        return form_for(asked, value={"address": typed}), places
    form = form_for(asked, {"address": typed})
    form.is_valid()
    form.errors.clear()  # only the search can be wrong at this step
    form.add_error("address", problem)
    return form, places or None


def _draft_bytes(request: HttpRequest) -> int:
    """Evidence kept for this session's unsent reports, every force's and journey's together:
    files are stored as they are chosen, before there is a report to hold them."""
    total = 0
    for key, draft in request.session.items():
        if key.startswith("online:draft:") and isinstance(draft, dict):
            for answer in draft.get("answers", {}).values():
                if isinstance(answer, list):
                    total += sum(int(f.get("size", 0)) for f in answer if isinstance(f, dict))
    return total


def _take_files(form: EvidenceForm, already: list[dict[str, Any]], kept_bytes: int) -> tuple[list[dict[str, Any]], str]:
    """Check and store every file chosen; refuse them all (storing none) if one is refused."""
    uploads = form.answer()
    if len(already) + len(uploads) > settings.ONLINE_UPLOAD_MAX_FILES:
        return already, f"You can upload up to {settings.ONLINE_UPLOAD_MAX_FILES} files"
    quota = int(settings.ONLINE_DRAFT_MAX_BYTES)
    if kept_bytes + sum(upload.size or 0 for upload in uploads) > quota:
        return already, (
            f"You can upload up to {quota // (1024 * 1024)}MB of files with one report. "
            "Send smaller copies of your files"
        )
    stored: list[dict[str, Any]] = []
    for upload in uploads:
        try:
            stored.append(evidence.check_and_store(upload))
        except InvalidInput as error:
            evidence.discard([f["id"] for f in stored])
            return already, error.message
    return [*already, *stored], ""


@require_GET
def outside_area(request: HttpRequest, journey: str) -> HttpResponse:
    force, chosen = public_force(request), _journey(journey)
    draft = _draft(request, force, chosen)
    if draft is None:
        return _go(request, "online:start", journey=chosen.slug)
    location = next(q for q in chosen.visible(draft["answers"]) if q.type == "location")
    return _page(
        request,
        "online/outside_area.html",
        {
            "journey": chosen,
            "other_force": draft.get("elsewhere", ""),
            "back_url": _question_url(request, chosen, location),
        },
    )


@public_post_limit
@never_cache
@require_http_methods(["GET", "POST"])
def other_force(request: HttpRequest, journey: str) -> HttpResponse:
    force, chosen = public_force(request), _journey(journey)
    draft = _draft(request, force, chosen)
    if draft is None or not draft.get("route"):
        return _go(request, "online:start", journey=chosen.slug)
    location = next(q for q in chosen.visible(draft["answers"]) if q.type == "location")
    receiving = Force.objects.get(code=draft["route"])
    if request.method == "POST":
        change = bool(draft.pop("change", False))
        _save_draft(request, force, chosen, draft)
        return HttpResponseRedirect(_next(request, chosen, location, draft["answers"], change))
    return _page(
        request,
        "online/other_force.html",
        {"journey": chosen, "receiving": receiving, "back_url": _question_url(request, chosen, location)},
    )


def _rows(request: HttpRequest, journey: Journey, answers: dict[str, Any]) -> list[dict[str, Any]]:
    from bluelamp.online.display import answer_lines

    return [
        {
            "label": q.label,
            "lines": answer_lines(q, answers.get(q.id)),
            "change_url": _question_url(request, journey, q, change=True),
        }
        for q in journey.visible(answers)
    ]


@public_post_limit
@never_cache
@ratelimit(key="ip", rate=submit_rate, method="POST", block=True)  # type: ignore[untyped-decorator]
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, journey: str) -> HttpResponse:
    force, chosen = public_force(request), _journey(journey)
    draft = _draft(request, force, chosen)
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")
        if request.POST.get(HONEYPOT):
            return _go(request, "online:report-index")  # a bot: nothing stored, nothing said
        if draft is None or key != draft.get("key"):
            # Sent twice after the first made the report (and ended the draft): the same
            # confirmation. With the draft still here, submit_report finds the report itself.
            already = Report.objects.filter(idempotency_key=key, site_force=force).first() if key else None
            if already is not None:
                request.session[_done_key(force)] = {"reference": already.reference, "journey": chosen.slug}
                return _go(request, "online:done", journey=chosen.slug)
            return _go(request, "online:start", journey=chosen.slug)
        try:
            submitted = services.submit_report(
                site_force=force,
                journey=chosen,
                answers=draft["answers"],
                idempotency_key=key,
                track_url=request.build_absolute_uri(site_url(request, "online:track")),
            )
        except DomainError as error:
            return _page(
                request,
                "online/check.html",
                {"journey": chosen, "rows": _rows(request, chosen, draft["answers"]), "problem": error.message,
                 "key": draft["key"], "back_url": _back(request, chosen)},
                status=422,
            )  # fmt: skip
        request.session.pop(_draft_key(force, chosen), None)
        request.session[_done_key(force)] = {"reference": submitted.report.reference, "journey": chosen.slug}
        return _go(request, "online:done", journey=chosen.slug)
    if draft is None:
        return _go(request, "online:start", journey=chosen.slug)
    missing = next(
        (q for q in chosen.visible(draft["answers"]) if q.id not in draft["answers"] and q.type != "evidence"), None
    )
    if missing is not None:
        return HttpResponseRedirect(_question_url(request, chosen, missing))
    routed_to = draft.get("route") or force.code
    receiving = force if routed_to == force.code else Force.objects.filter(code=routed_to).first() or force
    return _page(
        request,
        "online/check.html",
        {
            "journey": chosen,
            "rows": _rows(request, chosen, draft["answers"]),
            "key": draft["key"],
            "receiving": receiving,
            "back_url": _back(request, chosen),
        },
    )


@never_cache
@require_GET
def done(request: HttpRequest, journey: str) -> HttpResponse:
    force, chosen = public_force(request), _journey(journey)
    finished = request.session.get(_done_key(force))
    if not finished or finished.get("journey") != chosen.slug:
        return _go(request, "online:report-index")
    report = Report.objects.select_related("force").defer("force__boundary").get(reference=finished["reference"])
    return _page(request, "online/done.html", {"journey": chosen, "report": report, "exit_page": False})


# Track my report ----------------------------------------------------------------------------


@public_post_limit
@never_cache
@ratelimit(key="ip", rate="20/m", method="POST", block=True)  # type: ignore[untyped-decorator]
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    force = public_force(request)
    form = TrackForm(request.POST if request.method == "POST" else None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            report = services.open_tracking(reference=form.cleaned_data["reference"], code=form.cleaned_data["code"])
            if force.pk not in (report.force_id, report.site_force_id):
                raise PermissionDenied(
                    "The reference number or tracking code is not right. Check the email we sent you."
                )
        except PermissionDenied as error:
            problem = error.message
        else:
            request.session.cycle_key()
            request.session[_track_key(force)] = report.pk
            return _go(request, "online:track-status")
    status = 422 if (form.errors or problem) else 200
    return render(request, "online/track.html", {"force": force, "form": form, "problem": problem}, status=status)


def _tracked(request: HttpRequest) -> Report | None:
    force = public_force(request)
    report_id = request.session.get(_track_key(force))
    return selectors.tracked_report(force=force, report_id=report_id) if report_id else None


@public_post_limit
@ratelimit(group="online:add-information", key="ip", rate=add_information_rate, method="POST", block=True)  # type: ignore[untyped-decorator]
@ratelimit(group="online:add-information", key=session_or_address, rate=add_information_rate, method="POST", block=True)  # type: ignore[untyped-decorator]
@never_cache
@require_http_methods(["GET", "POST"])
def track_status(request: HttpRequest) -> HttpResponse:
    force = public_force(request)
    report = _tracked(request)
    if report is None:
        return _go(request, "online:track")
    form = AddInformationForm(request.POST if request.method == "POST" else None)
    added = False
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.add_information(report=report, text=form.cleaned_data["text"])
        except DomainError as error:
            problem = error.message
        else:
            added = True
            form = AddInformationForm()
    return render(
        request,
        "online/track_status.html",
        {
            "force": force,
            "report": report,
            "updates": selectors.public_updates(report),
            "form": form,
            "added": added,
            "problem": problem,
        },
        status=422 if (form.errors or problem) else 200,
    )


@public_post_limit
@require_http_methods(["POST"])
def track_finish(request: HttpRequest) -> HttpResponse:
    request.session.pop(_track_key(public_force(request)), None)
    return _go(request, "online:track")
