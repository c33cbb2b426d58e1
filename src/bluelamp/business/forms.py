"""Forms of the workforce pages. Labels and messages follow the GOV.UK style: say what to do."""

from __future__ import annotations

from typing import Any

from django import forms

from bluelamp.business import selectors
from bluelamp.core.access import Actor

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
