"""Fixtures for the Single Online Home: the Met and City sites taking reports into their control
rooms, evidence stored in a temporary folder, and a client that walks a journey."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, TestCase

from bluelamp.core.models import Force
from bluelamp.online.catalogue import catalogue
from bluelamp.online.demo import seed_demo
from bluelamp.online.samples import sample_post


@pytest.fixture
def sites(london: None) -> dict[str, Force]:
    seed_demo()
    return {f.code: f for f in Force.objects.filter(code__in=["met", "city"])}


@pytest.fixture(autouse=True)
def evidence_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "evidence"
    settings.ONLINE_EVIDENCE_DIR = folder
    settings.ONLINE_SUBMIT_RATE = "1000/m"
    settings.ONLINE_PUBLIC_POST_RATE = "1000/m"  # tests walk journeys faster than people do
    return folder


@dataclass
class Walk:
    """A person going through a journey on one force's site (path form: /sites/<code>/)."""

    client: Client
    site: str = "met"
    pages: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"/sites/{self.site}/report/{path}"

    def start(self, journey: str) -> str:
        response = self.client.post(self.url(f"{journey}/"), {"danger": "no"})
        assert response.status_code == 302, response.content.decode()[:500]
        return response["Location"]

    def answer_all(self, journey: str, *, choose: dict[str, str] | None = None, place: Any = None) -> str:
        """Answer every question with sample answers; returns the 'Check your answers' URL."""
        chosen = catalogue().journey(journey)
        assert chosen is not None
        url = self.start(journey)
        for _ in range(40):
            if url.endswith("/check/"):
                return url
            if url.endswith("/other-force/"):
                url = self.client.post(url)["Location"]
                continue
            self.pages.append(url)
            question_id = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
            question = chosen.question(question_id)
            assert question is not None, url
            assert self.client.get(url).status_code == 200, url
            response = self.client.post(url, sample_post(question, choose=choose, place=place))
            assert response.status_code == 302, (url, response.content.decode()[:2000])
            url = response["Location"]
        raise AssertionError("journey did not reach check your answers")

    def submit(self, check_url: str) -> tuple[Any, str]:
        page = self.client.get(check_url).content.decode()
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
        assert key, page[:3000]
        # As in production, what waits for the report's transaction to commit (its receipt) runs.
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.post(check_url, {"idempotency_key": key.group(1), "website": ""})
        return response, key.group(1)

    def report(self, journey: str = "crime", **kwargs: Any) -> str:
        """Make a report; returns its reference."""
        from bluelamp.online.models import Report

        response, key = self.submit(self.answer_all(journey, **kwargs))
        assert response.status_code == 302, response.content.decode()[:2000]
        return Report.objects.get(idempotency_key=key).reference


@pytest.fixture
def walk(client: Client, sites: dict[str, Force]) -> Walk:
    return Walk(client)


@pytest.fixture
def staff(sites: dict[str, Force]) -> Any:
    """Make a member of staff of a force holding the given default roles (from roles.json)."""
    from bluelamp.core.models import Role, User
    from bluelamp.core.services import seed_roles

    def make(username: str, code: str, *roles: str) -> User:
        force = sites[code]
        seed_roles(force=force)
        user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
        for role in roles:
            Role.objects.get(force=force, code=role).members.add(user)
        return User.objects.get(pk=user.pk)

    return make
