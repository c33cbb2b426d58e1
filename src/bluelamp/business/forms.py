"""Forms of the workforce pages. Labels and messages follow the GOV.UK style: say what to do."""

from __future__ import annotations

from typing import Any

from django import forms

from bluelamp.business import selectors
from bluelamp.core.access import Actor
from bluelamp.core.models import Force

# Common reasons for consulting a person's record; the free text says which case or task.
REASONS = [
    ("line_management", "Line management or welfare"),
    ("deployment", "Deployment or resourcing (checking skills and authorisations)"),
    ("record_update", "Keeping the workforce record up to date"),
    ("vetting", "Vetting, professional standards or a complaint"),
    ("other", "Another reason"),
]


class PeopleSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name, staff number or warrant number")
    unit = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Unit or team")
    bcu = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="BCU")
    skill = forms.ChoiceField(required=False, label="Holds skill today")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", "Any")]
        # Offered as part of searching people, so seeing them needs view_person, like the list.
        units = selectors.units(actor=actor, permission=selectors.VIEW_PERSON).order_by("name")
        self._choose("unit", anything + [(u.pk, f"{u.name} ({u.code})") for u in units])
        self._choose("bcu", anything + [(b.pk, b.name) for b in selectors.bcus(actor=actor)])
        self._choose("skill", anything + [(s.code, s.name) for s in selectors.skills()])

    def _choose(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class WorkforceFileForm(forms.Form):
    file = forms.FileField(
        label="Upload the workforce extract (CSV)",
        error_messages={
            "required": "Select the CSV file exported from the HR system",
            "empty": "The selected file is empty: export the workforce again",
        },
    )


# Charging for the shared online platform ----------------------------------------------------

DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d %m %Y", "%Y-%m-%d"]


class PlatformCostForm(forms.Form):
    financial_year = forms.IntegerField(
        min_value=2000,
        max_value=2100,
        label="Financial year",
        help_text="The year it starts, for example 2026 for April 2026 to March 2027",
        error_messages={"required": "Enter the financial year", "invalid": "Enter the year as a number, like 2026"},
    )
    amount = forms.DecimalField(
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Platform cost for the year, in pounds",
        help_text="For example, 10000000",
        error_messages={"required": "Enter the platform cost", "invalid": "Enter the cost in pounds, like 10000000"},
    )


class MembershipForm(forms.Form):
    force = forms.ModelChoiceField(
        queryset=Force.objects.order_by("name"),
        label="Force",
        empty_label="Choose a force",
        error_messages={"required": "Choose a force"},
    )
    change = forms.ChoiceField(
        choices=[("join", "Joins the platform"), ("leave", "Leaves the platform")],
        widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
        label="What is changing",
        error_messages={"required": "Say whether the force joins or leaves"},
    )
    on = forms.DateField(
        input_formats=DATE_FORMATS,
        label="From",
        help_text="For example, 01/04/2027. A force is charged for a year if it is on the platform on 1 April.",
        error_messages={"required": "Enter the date", "invalid": "Enter a real date, like 01/04/2027"},
    )
