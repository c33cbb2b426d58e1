"""A fresh database's migrations: ours follow Wagtail's (see bluelamp.core.db.migration_order),
and the models have no change a migration does not hold."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader

from bluelamp.core.db.migration_order import AFTER_WAGTAIL

OURS_AFTER_WAGTAIL = {"business", "control", "core", "dispatch", "online", "online_cms", "pole"}


def graph() -> MigrationGraph:
    loaded: MigrationGraph = MigrationLoader(None, ignore_no_migrations=True).graph
    return loaded


def fresh_plan() -> list[tuple[str, str]]:
    """The order ``migrate`` applies migrations in on an empty database (as its executor plans it)."""
    the_graph, plan = graph(), []
    for target in the_graph.leaf_nodes():
        plan += [node for node in the_graph.forwards_plan(target) if node not in plan]
    return plan


def test_after_wagtail_names_the_latest_migration_of_each_of_wagtails_apps() -> None:
    leaves = graph().leaf_nodes()
    latest = {app: name for app, name in leaves if app in {app for app, _ in AFTER_WAGTAIL}}
    assert dict(AFTER_WAGTAIL) == latest, "a Wagtail upgrade added migrations: name them in AFTER_WAGTAIL"


def test_a_fresh_database_migrates_wagtail_before_our_apps() -> None:
    plan = fresh_plan()
    wagtails = {app for app, _ in AFTER_WAGTAIL}
    last_of_wagtail = max(i for i, (app, _) in enumerate(plan) if app in wagtails)
    ours = [i for i, node in enumerate(plan) if node[0] in OURS_AFTER_WAGTAIL and node != ("core", "0001_initial")]
    first_of_ours = min(ours)
    assert last_of_wagtail < first_of_ours


@pytest.mark.django_db
def test_every_model_change_is_in_a_migration() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 when one is missing
    assert "No changes detected" in out.getvalue()
