"""One Django form per question type of the catalogue. Each turns what a person typed into the
answer stored for that question (plain JSON), with GOV.UK error messages that say what to do."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from bluelamp.core.forms import GovukForm
from bluelamp.online.catalogue import Question

TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
PHONE_PATTERN = re.compile(r"^\+?[\d ()-]{7,20}$")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class DangerForm(GovukForm):
    danger = forms.ChoiceField(
        label="Is anyone in immediate danger?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if anyone is in immediate danger"},
    )


class QuestionForm(GovukForm):
    """Base: ``answer()`` gives the stored value; ``initial_from(answer)`` fills the form again."""

    template = "online/questions/single.html"

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        self.question = question
        super().__init__(*args, **kwargs)

    def answer(self) -> Any:
        return self.cleaned_data["answer"]

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        return {"answer": value}


class TextForm(QuestionForm):
    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, question=question, **kwargs)
        widget = forms.Textarea(attrs={"rows": 6}) if question.type == "textarea" else forms.TextInput()
        what = _lower_first(question.label.rstrip("?"))
        field = forms.CharField(
            label=question.label,
            help_text=question.hint,
            required=question.required,
            max_length=question.max_length or None,
            widget=widget,
            error_messages={
                "required": question.error or f"Enter {what}",
                "max_length": f"{question.label.rstrip('?')} must be {question.max_length} characters or fewer",
            },
        )
        self.fields["answer"] = field
        self._decorate()

    def answer(self) -> Any:
        return self.cleaned_data["answer"].strip()


class TimeForm(QuestionForm):
    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, question=question, **kwargs)
        self.fields["answer"] = forms.CharField(
            label=question.label,
            help_text=question.hint,
            required=question.required,
            max_length=5,
            widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
            error_messages={"required": "Enter the time", "max_length": "Enter the time like 14:30"},
        )
        self._decorate()

    def clean_answer(self) -> str:
        raw = self.cleaned_data["answer"].strip()
        if not raw:
            return ""
        match = TIME_PATTERN.match(raw)
        if not match:
            raise forms.ValidationError("Enter the time like 14:30, using the 24-hour clock")
        return f"{int(match.group(1)):02d}:{match.group(2)}"


class ChoiceForm(QuestionForm):
    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, question=question, **kwargs)
        choices = [(o.value, o.label) for o in question.options]
        many = question.type == "checkboxes"
        field_class = forms.MultipleChoiceField if many else forms.ChoiceField
        self.fields["answer"] = field_class(
            label=question.label,
            help_text=question.hint,
            required=question.required,
            choices=choices,
            widget=forms.CheckboxSelectMultiple if many else forms.RadioSelect,
            error_messages={
                "required": question.error
                or (
                    "Select yes or no"
                    if question.type == "yes_no"
                    else f"Select {_lower_first(question.label.rstrip('?'))}"
                )
            },
        )
        self.fields["answer"].option_hints = {o.value: o.hint for o in question.options}  # type: ignore[attr-defined]
        self._decorate()

    def answer(self) -> Any:
        value = self.cleaned_data["answer"]
        return list(value) if isinstance(value, list) else value


class DateForm(QuestionForm):
    template = "online/questions/date.html"

    day = forms.CharField(label="Day", required=False, max_length=2)
    month = forms.CharField(label="Month", required=False, max_length=2)
    year = forms.CharField(label="Year", required=False, max_length=4)

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", question.id)
        super().__init__(*args, question=question, **kwargs)
        for name in ("day", "month", "year"):
            widget = self.fields[name].widget
            widths = "govuk-input--width-4" if name == "year" else "govuk-input--width-2"
            widget.attrs.update({"class": f"govuk-input govuk-date-input__input {widths}", "inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = {name: str(data.get(name) or "").strip() for name in ("day", "month", "year")}
        what = _lower_first(self.question.label.rstrip("?").removeprefix("When "))
        if not any(parts.values()):
            if self.question.required:
                self.add_error("day", f"Enter the date {what}".replace("did it happen", "it happened"))
            return data
        missing = [name for name, value in parts.items() if not value]
        if missing:
            self.add_error(missing[0], f"The date must include a {' and '.join(missing)}")
            return data
        try:
            when = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            self.add_error("day", "The date must be a real date, like 27 3 2026")
            return data
        if when.year < 1900:
            self.add_error("year", "The year must be 4 numbers, like 2026")
        elif self.question.not_future and when > timezone.localdate():
            self.add_error("day", "The date must be today or in the past")
        else:
            data["when"] = when
        return data

    def answer(self) -> Any:
        when = self.cleaned_data.get("when")
        return when.isoformat() if when else ""

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        if not value:
            return {}
        when = dt.date.fromisoformat(value)
        return {"day": when.day, "month": when.month, "year": when.year}


class LocationForm(QuestionForm):
    template = "online/questions/location.html"

    address = forms.CharField(
        label="Address or place",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"max_length": "The address must be 300 characters or fewer"},
    )
    lat = forms.FloatField(
        label="Latitude (optional)",
        required=False,
        help_text="For example, 51.5133",
        error_messages={"invalid": "Enter the latitude as a number, like 51.5133"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label="Longitude (optional)",
        required=False,
        help_text="For example, -0.0890",
        error_messages={"invalid": "Enter the longitude as a number, like -0.0890"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon, address = data.get("lat"), data.get("lon"), (data.get("address") or "").strip()
        if self.errors:
            return data
        if (lat is None) != (lon is None):
            self.add_error("lat" if lat is None else "lon", "Enter both the latitude and the longitude, or neither")
        elif lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.add_error("lat", "Enter a latitude from -90 to 90 and a longitude from -180 to 180")
        elif not address and lat is None:
            self.add_error("address", "Enter the address or place")
        return data

    def answer(self) -> Any:
        data = self.cleaned_data
        return {"address": (data.get("address") or "").strip(), "lat": data.get("lat"), "lon": data.get("lon")}

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})


class PersonForm(QuestionForm):
    template = "online/questions/group.html"

    name = forms.CharField(
        label="Name (if you know it)",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": "The name must be 150 characters or fewer"},
    )
    description = forms.CharField(
        label="Description",
        help_text="For example, age, height, build, hair, clothing, anything distinctive",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter a description of the person",
            "max_length": "The description must be 2000 characters or fewer",
        },
    )

    def answer(self) -> Any:
        return {"role": self.question.role, **{k: self.cleaned_data[k].strip() for k in ("name", "description")}}

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})


class VehicleForm(QuestionForm):
    template = "online/questions/group.html"

    registration = forms.CharField(
        label="Registration number (if you know it)",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10 govuk-input--extra-letter-spacing"}),
        error_messages={"max_length": "The registration must be 12 characters or fewer"},
    )
    make = forms.CharField(label="Make", required=False, max_length=60, help_text="For example, Ford")
    model = forms.CharField(label="Model", required=False, max_length=60, help_text="For example, Fiesta")
    colour = forms.CharField(label="Colour", required=False, max_length=40)

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", question.id)
        super().__init__(*args, question=question, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(
            (data.get(k) or "").strip() for k in ("registration", "make", "model", "colour")
        ):
            self.add_error("registration", "Enter the registration, make, model or colour of the vehicle")
        return data

    def answer(self) -> Any:
        data = {k: (self.cleaned_data.get(k) or "").strip() for k in ("registration", "make", "model", "colour")}
        data["registration"] = data["registration"].upper()
        return {"role": self.question.role, **data}

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})


class ContactForm(QuestionForm):
    template = "online/questions/group.html"

    name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"required": "Enter your full name", "max_length": "Your name must be 150 characters or fewer"},
    )
    email = forms.EmailField(
        label="Email address",
        help_text="We will send your reference number and tracking code here",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false", "class": "govuk-input"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "class": "govuk-input--width-20"}),
        error_messages={"max_length": "Enter a phone number, like 01632 960 001 or 07700 900 982"},
    )

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, question=question, **kwargs)
        self.fields["email"].widget.attrs["aria-describedby"] = "email-hint"

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data["phone"]).strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")
        return phone

    def answer(self) -> Any:
        return {k: self.cleaned_data[k].strip() for k in ("name", "email", "phone")}

    @classmethod
    def initial_from(cls, value: Any) -> dict[str, Any]:
        return dict(value or {})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class EvidenceForm(QuestionForm):
    template = "online/questions/evidence.html"

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, question=question, **kwargs)
        self.fields["answer"] = MultipleFileField(
            label=question.label,
            help_text=question.hint,
            required=False,
            widget=MultipleFileInput(attrs={"class": "govuk-file-upload", "multiple": True}),
        )
        self._decorate()

    def answer(self) -> Any:
        return self.cleaned_data["answer"]


class TrackForm(GovukForm):
    reference = forms.CharField(
        label="Reference number",
        help_text="For example, MET-20261122-7F3K9Q",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-20"}),
        error_messages={"required": "Enter your reference number"},
    )
    code = forms.CharField(
        label="Tracking code",
        help_text="The 8-character code in the email we sent you",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"}),
        error_messages={"required": "Enter your tracking code"},
    )


class AddInformationForm(GovukForm):
    text = forms.CharField(
        label="What do you want to add?",
        help_text="For example, something you have remembered, or a change in your contact details",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter the information you want to add",
            "max_length": "What you add must be 4000 characters or fewer",
        },
    )


FORMS: dict[str, type[QuestionForm]] = {
    "text": TextForm,
    "textarea": TextForm,
    "time": TimeForm,
    "radios": ChoiceForm,
    "checkboxes": ChoiceForm,
    "yes_no": ChoiceForm,
    "date": DateForm,
    "location": LocationForm,
    "person": PersonForm,
    "vehicle": VehicleForm,
    "contact": ContactForm,
    "evidence": EvidenceForm,
}


def form_for(question: Question, data: Any = None, files: Any = None, value: Any = None) -> QuestionForm:
    form_class = FORMS[question.type]
    if data is not None:
        return form_class(data, files, question=question)
    return form_class(question=question, initial=form_class.initial_from(value) if value is not None else None)
