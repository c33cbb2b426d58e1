"""The control room's door to a dispatch engine: the dispatch app registers itself there
(control never imports dispatch), and the screens work without one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from bluelamp.control import dispatch_link
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import User
from tests.control.conftest import new_incident


@pytest.fixture
def without_engine() -> Iterator[None]:
    engine = dispatch_link.engine()
    dispatch_link.register(None)
    yield
    dispatch_link.register(engine)


def test_the_dispatch_app_registers_itself_as_the_engine() -> None:
    from bluelamp.dispatch.control_room import ControlRoomEngine

    assert isinstance(dispatch_link.engine(), ControlRoomEngine)


def test_with_the_engine_the_recommendation_comes_in_the_screens_terms(dispatcher: User, handler: User) -> None:
    advice = dispatch_link.recommendation(actor=dispatcher, incident=new_incident(handler))
    assert isinstance(advice, dispatch_link.Advice)
    assert advice.options == []  # the force has no units yet
    assert advice.message  # and the engine says why nobody is offered


def test_without_an_engine_the_screens_show_no_dispatch_panels(
    without_engine: None, dispatcher: User, handler: User
) -> None:
    incident = new_incident(handler)
    assert dispatch_link.recommendation(actor=dispatcher, incident=incident) is None
    assert dispatch_link.positions(actor=dispatcher) == {}
    assert dispatch_link.running_operations(actor=dispatcher, now=timezone.now()) == []
    with pytest.raises(InvalidInput, match="Choose a unit to assign"):
        dispatch_link.assign(actor=dispatcher, incident=incident, unit=None)
