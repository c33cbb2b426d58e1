"""The auditors' screens, included at /audit/."""

from django.urls import path

from bluelamp.core import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.search, name="search"),
    path("export.csv", audit_views.export, name="export"),
]
