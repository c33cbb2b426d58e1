"""The platform charges page and statements: national administrators only, recalculated as
forces join or leave, with the Met capped at £1.4m on the 20-force demo base."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client

from bluelamp.business import selectors, services
from bluelamp.business.charging_demo import load_example_charging
from bluelamp.business.models import PlatformCost
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import Force, OutboxEvent, Role, User
from bluelamp.core.services import seed_roles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]


def member(code: str, role: str, force: str = "met") -> User:
    home = Force.objects.get(code=force)
    seed_roles(force=home)
    user = User.objects.create_user(username=f"{force}-{code}", force=home)
    Role.objects.get(force=home, code=role).members.add(user)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def admin() -> User:
    user = member("national", "national_admin")
    load_example_charging(actor=user)
    return user


def pays(actor: User, year: int) -> dict[str, Decimal]:
    return {
        line.force.code: line.contribution.amount for line in selectors.charging_year(actor, financial_year=year).lines
    }


def test_the_demo_year_shares_ten_million_with_the_met_capped(admin: User) -> None:
    charges = selectors.charging_year(admin, financial_year=2026)
    assert charges.result is not None
    assert len(charges.lines) == 19  # Leicestershire joins in 2027
    assert charges.result.charged == Decimal("10000000.00")
    met = next(line for line in charges.lines if line.force.code == "met")
    assert met.contribution.amount == Decimal("1400000.00")
    assert met.contribution.limit == "cap"
    assert met.contribution.formula_amount > Decimal("1400000.00")
    city = next(line for line in charges.lines if line.force.code == "city")
    assert city.contribution.limit == "floor"
    assert city.contribution.amount == Decimal("200000.00")


def test_a_force_joining_lowers_everyone_elses_share(admin: User) -> None:
    before, after = pays(admin, 2026), pays(admin, 2027)
    assert "leicestershire" not in before
    assert "leicestershire" in after
    # 2027 costs more, so compare shares of the cost rather than amounts
    cost = {year: PlatformCost.objects.get(financial_year=year).amount for year in (2026, 2027)}
    assert after["kent"] / cost[2027] < before["kent"] / cost[2026]


def test_a_force_leaving_is_charged_no_more_and_the_others_pay_more(admin: User, client: Client) -> None:
    before = pays(admin, 2027)
    client.force_login(admin)
    response = client.post(
        "/finance/charging/membership?year=2027",
        {"force": Force.objects.get(code="kent").pk, "change": "leave", "on": "01/03/2027"},
    )
    assert response.status_code == 302
    after = pays(admin, 2027)
    assert "kent" not in after
    assert sum(after.values()) == sum(before.values())
    assert all(after[code] >= before[code] for code in after)
    assert after["essex"] > before["essex"]
    assert after["met"] == Decimal("1400000.00")
    assert OutboxEvent.objects.filter(topic="business.charging.force_left", force__code="kent").exists()


def test_the_page_lists_every_force_with_a_statement_link(admin: User, client: Client) -> None:
    client.force_login(admin)
    response = client.get("/finance/charging/?year=2026")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Platform charges 2026/27" in body
    assert "£1,400,000.00" in body
    assert "£10,000,000.00" in body
    assert "Thames Valley Police" in body
    assert "/finance/charging/statement.csv?year=2026&amp;force=met" in body


def test_a_statement_is_a_csv_of_one_forces_charge(admin: User, client: Client) -> None:
    client.force_login(admin)
    response = client.get("/finance/charging/statement.csv", {"year": "2026", "force": "met"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "platform-charge-met-2026.csv" in response["Content-Disposition"]
    rows = dict(row[:2] for row in csv.reader(io.StringIO(response.content.decode())) if len(row) >= 2)
    assert rows["Force"] == "Metropolitan Police Service"
    assert rows["Amount payable (GBP)"] == "1400000.00"
    assert rows["Cap (GBP)"] == "1400000.00"
    assert rows["Limit applied"] == "cap"
    assert rows["Platform cost (GBP)"] == "10000000.00"


def test_a_force_not_charged_has_no_statement(admin: User, client: Client) -> None:
    client.force_login(admin)
    assert client.get("/finance/charging/statement.csv", {"year": "2026", "force": "leicestershire"}).status_code == 404
    assert client.get("/finance/charging/statement.csv", {"year": "2026", "force": "nowhere"}).status_code == 404


@pytest.mark.parametrize(("role", "force"), [("force_admin", "met"), ("finance", "met"), ("national_admin", None)])
def test_only_national_administrators_see_the_charges(
    admin: User, client: Client, role: str, force: str | None
) -> None:
    user = member("someone", role, force or "city") if force else admin
    client.force_login(user)
    expected = 200 if role == "national_admin" else 403
    assert client.get("/finance/charging/").status_code == expected
    assert client.get("/finance/charging/statement.csv", {"year": "2026", "force": "met"}).status_code == expected
    if expected == 403:
        with pytest.raises(PermissionDenied):
            services.record_platform_cost(actor=user, financial_year=2026, amount=Decimal(1))


def test_recording_the_cost_recalculates_the_year(admin: User, client: Client) -> None:
    client.force_login(admin)
    response = client.post("/finance/charging/cost?year=2026", {"financial_year": "2026", "amount": "12000000"})
    assert response.status_code == 302
    assert sum(pays(admin, 2026).values()) == Decimal("12000000.00")


def test_bad_input_shows_the_error_summary(admin: User, client: Client) -> None:
    client.force_login(admin)
    response = client.post("/finance/charging/cost?year=2026", {"financial_year": "26x", "amount": "-5"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter the year as a number, like 2026" in body
    joined_twice = client.post(
        "/finance/charging/membership?year=2026",
        {"force": Force.objects.get(code="met").pk, "change": "join", "on": "01/04/2026"},
    )
    assert joined_twice.status_code == 409
    assert "already on the platform" in joined_twice.content.decode()


def test_services_refuse_what_makes_no_sense(admin: User) -> None:
    met = Force.objects.get(code="met")
    with pytest.raises(InvalidInput):
        services.record_platform_cost(actor=admin, financial_year=2026, amount=Decimal(-1))
    with pytest.raises(Conflict):
        services.join_platform(actor=admin, force=met, joined_on=dt.date(2026, 1, 1))
    hampshire = Force.objects.get(code="hampshire")
    with pytest.raises(InvalidInput):
        services.leave_platform(actor=admin, force=hampshire, left_on=dt.date(2020, 1, 1))
    services.leave_platform(actor=admin, force=hampshire, left_on=dt.date(2026, 5, 1))
    with pytest.raises(NotFound):
        services.leave_platform(actor=admin, force=hampshire, left_on=dt.date(2026, 6, 1))


def test_a_year_without_a_cost_says_so(admin: User, client: Client) -> None:
    client.force_login(admin)
    body = client.get("/finance/charging/?year=2028").content.decode()
    assert "No platform cost is recorded for this year." in body
