"""Forms of the control-room screens. They check what a person typed and say what to do in the
GOV.UK style; the rules themselves (NSIR, grades, lifecycle) stay in ``rules`` and the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from bluelamp.control import rules
from bluelamp.control.models import THRIVE_DIMENSIONS, BaseType, Contact, Grade, Incident, Level
from bluelamp.core.errors import InvalidInput
from bluelamp.core.forms import FilterForm, GovukForm


def category_choices(blank: str = "Choose a category") -> list[tuple[str, str]]:
    return [("", blank), *((code, c.name) for code, c in rules.nsir_categories().items())]


def qualifier_choices() -> list[tuple[str, str]]:
    return list(rules.nsir_qualifiers().items())


def _float(label: str, example: str) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={"invalid": f"{label} must be a number, like {example}"},
    )


class TakeCallForm(GovukForm):
    channel = forms.ChoiceField(
        label="Channel",
        choices=[(Contact.Channel.EMERGENCY, "999"), (Contact.Channel.NON_EMERGENCY, "101")],
        initial=Contact.Channel.EMERGENCY,
        widget=forms.RadioSelect,
        error_messages={"required": "Select 999 or 101"},
    )
    caller_name = forms.CharField(label="Caller's name", max_length=150, required=False)
    caller_phone = forms.CharField(
        label="Caller's phone number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label="Address or place",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"data-enter-action": "find"}),  # Enter here finds the address
    )
    lat = _float("Latitude", "51.5080")
    lon = _float("Longitude", "-0.1281")
    description = forms.CharField(
        label="What is happening",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what is happening"},
    )
    category = forms.ChoiceField(label="NSIR category", choices=category_choices, required=False)
    qualifiers = forms.MultipleChoiceField(
        label="Qualifiers", choices=qualifier_choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    position = forms.CharField(
        label="Your position", max_length=60, required=False, help_text="For example, CW call handling 4"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("lat"), data.get("lon")
        if "lat" in data and "lon" in data:
            if (lat is None) != (lon is None):
                self.add_error("lon" if lon is None else "lat", "Enter both latitude and longitude, or neither")
            elif lat is None and not data.get("address", "").strip():
                self.add_error("address", "Enter an address, or a latitude and longitude")
            elif lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.add_error("lat", "Enter a latitude between -90 and 90 and a longitude between -180 and 180")
        category = data.get("category", "")
        if category:
            try:
                rules.check_category(category, data.get("qualifiers", []))
            except InvalidInput as error:
                self.add_error("qualifiers", error.message)
        return data


class ResolveForm(GovukForm):
    resolution_code = forms.ChoiceField(
        label="How was it resolved",
        choices=lambda: list(rules.resolution_codes().items()),
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the contact was resolved"},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(GovukForm):
    incident = forms.TypedChoiceField(
        label="Which incident is it about",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the incident this contact is about"},
    )

    def __init__(self, *args: Any, incidents: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["incident"]).choices = list(incidents)


class CreateIncidentForm(GovukForm):
    category = forms.ChoiceField(
        label="NSIR opening category", choices=category_choices, error_messages={"required": "Choose the category"}
    )
    qualifiers = forms.MultipleChoiceField(
        label="Qualifiers", choices=qualifier_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("category"):
            try:
                rules.check_category(data["category"], data.get("qualifiers", []), what="opening category")
            except InvalidInput as error:
                self.add_error("qualifiers", error.message)
        return data


class VersionedForm(GovukForm):
    """A change to an incident names the version the operator was looking at."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LogEntryForm(GovukForm):
    text = forms.CharField(
        label="Add to the log",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter what to add to the log"},
    )
    position = forms.CharField(label="Your position", max_length=60, required=False)


LEVEL_CHOICES = [(level.value, level.label) for level in Level]


class ThriveForm(VersionedForm):
    grade = forms.ChoiceField(
        label="Grade",
        required=False,
        choices=[("", "Use the suggested grade"), *Grade.choices],
        help_text="Leave as suggested unless you have a reason to choose another grade",
    )
    override_reason = forms.CharField(
        label="Why you chose a different grade", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dimensions: dict[str, forms.Field] = {}
        for dimension in THRIVE_DIMENSIONS:
            dimensions[dimension] = forms.ChoiceField(
                label=dimension.capitalize(),
                choices=LEVEL_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": f"Select a level for {dimension}"},
            )
            dimensions[f"{dimension}_note"] = forms.CharField(label=f"{dimension.capitalize()} note", required=False)
        self.fields = {**dimensions, **self.fields}
        self._decorate()

    @property
    def dimensions(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[d], self[f"{d}_note"]) for d in THRIVE_DIMENSIONS]

    def levels(self) -> dict[str, str]:
        return {d: self.cleaned_data[d] for d in THRIVE_DIMENSIONS}

    def notes(self) -> dict[str, str]:
        return {d: self.cleaned_data[f"{d}_note"] for d in THRIVE_DIMENSIONS}


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(choices=Incident.Status.choices)


class CloseForm(VersionedForm):
    closing_category = forms.ChoiceField(
        label="NSIR closing category",
        choices=category_choices,
        error_messages={"required": "Choose the closing category"},
        help_text="It may differ from the opening category",
    )
    closing_qualifiers = forms.MultipleChoiceField(
        label="Closing qualifiers", choices=qualifier_choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    closing_result = forms.CharField(
        label="Result",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter the result"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("closing_category"):
            try:
                rules.check_category(
                    data["closing_category"], data.get("closing_qualifiers", []), what="closing category"
                )
            except InvalidInput as error:
                self.add_error("closing_qualifiers", error.message)
        return data


class QueueFilterForm(FilterForm):
    bcu = forms.ChoiceField(label="BCU", required=False)
    grade = forms.ChoiceField(label="Grade", required=False, choices=[("", "All grades"), *Grade.choices])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Not closed"), *Incident.Status.choices])

    def __init__(self, *args: Any, bcus: list[tuple[str, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["bcu"]).choices = [("", "All BCUs"), *bcus]


class BoardFilterForm(FilterForm):
    """The resource board's filters (GET)."""

    bcu = forms.ChoiceField(label="BCU", required=False)
    unit_type = forms.ChoiceField(label="Unit type", required=False)
    base_type = forms.ChoiceField(label="Status", required=False, choices=[("", "All statuses"), *BaseType.choices])

    def __init__(
        self,
        *args: Any,
        bcus: list[tuple[str, str]] = (),  # type: ignore[assignment]
        unit_types: list[tuple[str, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["bcu"]).choices = [("", "All BCUs"), *bcus]
        cast(forms.ChoiceField, self.fields["unit_type"]).choices = [("", "All types"), *unit_types]


class UnitStatusForm(forms.Form):
    """Set one unit's status from the board."""

    status = forms.CharField(max_length=8)
    expected_version = forms.IntegerField(min_value=1)


class AssignForm(forms.Form):
    """Send a unit to an incident from the map: the recommended one, or another with a reason."""

    unit = forms.IntegerField(min_value=1, required=False)  # none: the recommended unit(s)
    expected_version = forms.IntegerField(min_value=1, required=False)
    override_reason = forms.CharField(max_length=500, required=False, strip=True)
