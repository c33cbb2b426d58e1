"""Base classes that give every staff and public form the same defaults: plain ids, no label
suffix, GOV.UK classes on every widget and error summary links (:class:`GovukForm`), and the
filter bars above lists (:class:`FilterForm`). A form states only its own fields."""

from __future__ import annotations

from typing import Any

from django import forms

WIDGET_CLASSES = {
    "text": "govuk-input",
    "tel": "govuk-input",
    "number": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "radioselect": "govuk-radios__input",
    "checkboxselectmultiple": "govuk-checkboxes__input",
}
ERROR_CLASSES = {"govuk-input": "govuk-input--error", "govuk-textarea": "govuk-textarea--error",
                 "govuk-select": "govuk-select--error"}  # fmt: skip
CHOICE_WIDGETS = {"radioselect", "checkboxselectmultiple"}


class GovukForm(forms.Form):
    """Plain ids (``caller_name``, or ``log-text`` with a prefix), GOV.UK classes on every
    widget, and the error summary's links in :attr:`error_links`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self._decorate()

    def _decorate(self) -> None:
        for name, field in self.fields.items():
            css = WIDGET_CLASSES.get(self[name].widget_type)
            if css and css not in field.widget.attrs.get("class", ""):
                field.widget.attrs["class"] = " ".join(filter(None, [field.widget.attrs.get("class", ""), css]))
            if field.help_text and self[name].widget_type not in CHOICE_WIDGETS:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            css = widget.attrs.get("class", "")
            widget.attrs["class"] = " ".join([css, *(ERROR_CLASSES[c] for c in css.split() if c in ERROR_CLASSES)])
            if self[name].widget_type not in CHOICE_WIDGETS:
                described = widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = f"{described} {self[name].auto_id}-error".strip()

    def anchor(self, name: str) -> str:
        bound = self[name]
        return f"{bound.auto_id}_0" if bound.widget_type in CHOICE_WIDGETS else str(bound.auto_id)

    @property
    def error_links(self) -> list[tuple[str, str]]:
        links: list[tuple[str, str]] = []
        first = next(iter(self.fields), "")
        for message in self.non_field_errors():
            links.append((self.anchor(first) if first else "", str(message)))
        for name in self.fields:
            for message in self.errors.get(name, []):
                links.append((self.anchor(name), str(message)))
        return links


class FilterForm(forms.Form):
    """A filter bar above a list (GET): ids prefixed ``filter-`` so they never clash with the
    page's other forms, and every field a GOV.UK select."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "govuk-select"
