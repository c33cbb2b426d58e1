"""Adding a force and its public hostnames: the one way any app puts a force in the platform."""

from __future__ import annotations

import pytest

from bluelamp.core import services
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Force, ForceHostname, OutboxEvent


def test_a_new_force_is_added_once_and_announced(db: None) -> None:
    kent = services.add_force(code="kent", name="Kent Police", short_name="Kent")
    again = services.add_force(code="kent", name="Another name")
    assert again.pk == kent.pk
    assert Force.objects.get(code="kent").name == "Kent Police"  # a force already there is left as it is
    assert list(OutboxEvent.objects.filter(topic="core.force.added").values_list("payload", flat=True)) == [
        {"code": "kent", "name": "Kent Police"}
    ]


def test_a_force_needs_a_code_and_a_name(db: None) -> None:
    with pytest.raises(InvalidInput, match="needs a code and a name"):
        services.add_force(code=" ", name="Kent Police")
    assert not Force.objects.exists()


def test_a_hostname_is_kept_in_lower_case_and_belongs_to_one_force(db: None) -> None:
    kent = services.add_force(code="kent", name="Kent Police")
    essex = services.add_force(code="essex", name="Essex Police")
    services.add_force_hostname(force=kent, hostname="Kent.Police.Example")
    services.add_force_hostname(force=kent, hostname="kent.police.example")  # again: nothing new
    with pytest.raises(InvalidInput, match=r"kent\.police\.example already belongs to Kent Police"):
        services.add_force_hostname(force=essex, hostname="KENT.police.example")
    assert list(ForceHostname.objects.values_list("hostname", "force__code")) == [("kent.police.example", "kent")]
    assert OutboxEvent.objects.filter(topic="core.force.hostname_added").count() == 1
