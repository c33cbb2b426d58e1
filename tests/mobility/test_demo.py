"""The demo register: a register in realistic states, a factory in progress, and something for
every screen — loaded once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest

from bluelamp.core.models import User
from bluelamp.demo import setup as demo_setup
from bluelamp.mobility import selectors
from bluelamp.mobility.demo import seed_demo_register
from bluelamp.mobility.models import BuildStep, Device, Requirement

pytestmark = pytest.mark.django_db


def test_the_demo_register_fills_every_screen_once() -> None:
    demo_setup.load_reference_data()
    demo_setup.create_sign_ins()  # seeds the full register as the Met's device manager
    manager = User.objects.get(username="met-device-manager")
    states = Counter(Device.objects.filter(force=manager.force).values_list("state", flat=True))
    assert sum(states.values()) == 30_000
    assert states["issued"] > 20_000
    assert all(states[state] > 0 for state in ("ordered", "in_factory", "tested", "lost", "stolen", "wiped"))
    phones = Device.objects.filter(model__kind="phone")
    assert phones.filter(sim__isnull=True).count() == 0
    assert BuildStep.objects.filter(kind="test").exists()
    board = selectors.factory_board(actor=manager)
    assert board.capacity_per_day == 310
    assert board.forecast
    problem, _ = selectors.allocation_problem(actor=manager)
    assert len(problem.lines) == Requirement.objects.count() > 0
    started = time.perf_counter()
    assert seed_demo_register(actor=manager) == 0  # a second run leaves the register alone
    assert time.perf_counter() - started < 5


def test_a_device_manager_role_without_the_registers_permissions_gets_no_demo_register(
    met: object, make_user: Callable[..., User]
) -> None:
    older = make_user("met-device-manager-before", met)  # a role seeded before the register existed
    assert seed_demo_register(actor=older, devices=10) == 0
    assert not Device.objects.exists()
