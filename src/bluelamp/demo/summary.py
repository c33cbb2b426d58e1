"""The simulator's live summary for the terminal."""

from __future__ import annotations

from django.utils import timezone
from rich.table import Table

from bluelamp.demo.simulator import Simulator


def summary(sim: Simulator) -> Table:
    stats = sim.stats
    table = Table(title="bluelamp: a living London", title_justify="left", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    behind = stats.lag_seconds
    pace = f"[red]falling behind by {behind:,.0f} s of simulated time[/red]" if behind > 60 else "keeping up"
    table.add_row(
        "clock",
        f"{timezone.localtime(sim.clock):%a %d %b %H:%M:%S} (speed {sim.settings.speed:g}, {pace})",
    )
    table.add_row("contacts", ", ".join(f"{k} {v:,}" for k, v in sorted(stats.contacts.items())) or "none yet")
    table.add_row("handled", f"{stats.resolved:,} resolved on the call, {stats.linked:,} linked to an open incident")
    table.add_row("incidents", ", ".join(f"{g} {stats.incidents[g]:,}" for g in "ISER"))
    compliance = f"{stats.i_in_target / stats.i_attended:.0%}" if stats.i_attended else "—"
    table.add_row("I-grade", f"{stats.i_attended:,} attended, {compliance} within 15 minutes")
    table.add_row(
        "units",
        f"{stats.dispatched:,} sent, {stats.arrivals:,} arrived, {stats.cleared:,} cleared, {len(sim.trips):,} driving",
    )
    table.add_row(
        "AVL", f"{stats.avl_sent:,} positions ({stats.avl_per_second():,.0f}/s), {stats.avl_rejected:,} refused"
    )
    table.add_row("urgent assistance", f"{stats.urgent_assistance:,}")
    if stats.problems:
        table.add_row("problems", f"{stats.problems:,}; last: {stats.last_problem}")
    return table


def one_line(sim: Simulator) -> str:
    stats = sim.stats
    return (
        f"[simulation {timezone.localtime(sim.clock):%H:%M:%S}] contacts {sum(stats.contacts.values()):,}, "
        f"incidents {sum(stats.incidents.values()):,}, units driving {len(sim.trips):,}, "
        f"AVL {stats.avl_sent:,}, lag {max(0.0, stats.lag_seconds):,.0f} s"
    )
