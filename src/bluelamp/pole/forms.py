"""Forms of the POLE pages. Labels and messages follow the GOV.UK style: say what to do."""

from __future__ import annotations

from django import forms

# Common reasons for opening a person's details; the free text says which call or case.
REASONS = [
    ("live_call", "Dealing with a call or incident now"),
    ("officer_safety", "Officer or public safety before deployment"),
    ("safeguarding", "Safeguarding a vulnerable person"),
    ("investigation", "An investigation or enquiry"),
    ("other", "Another reason"),
]


class PlaceForm(forms.Form):
    lat = forms.FloatField(
        label="Latitude",
        min_value=-90,
        max_value=90,
        error_messages={"required": "Enter a latitude", "invalid": "Latitude must be a number, like 51.5014"},
    )
    lon = forms.FloatField(
        label="Longitude",
        min_value=-180,
        max_value=180,
        error_messages={"required": "Enter a longitude", "invalid": "Longitude must be a number, like -0.1419"},
    )
