"""Signals other parts of the platform connect to.

``positions_moved`` is sent once per accepted AVL batch, **after the transaction commits**, with
``force_id`` and ``positions``: a compact list of ``(unit_id, lat, lon, at_iso, stale)`` tuples,
one per unit whose latest position changed. The control room's live feed (and the bridge that
carries it to other workers) connects to it; receivers must be quick and must not raise."""

from __future__ import annotations

from django.dispatch import Signal

positions_moved = Signal()
