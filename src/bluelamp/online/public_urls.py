"""The URLconf of a force's public site, on its own hostname; the same patterns are mounted at
/sites/<force_code>/ on the staff host (see sites.py)."""

from django.urls import include, path

from bluelamp.core import views as core_views

urlpatterns = [
    path("accessibility", core_views.accessibility, name="accessibility"),
    path("", include("bluelamp.online.urls")),
    path("", include("bluelamp.online.cms.urls")),  # force's Wagtail pages: a catch-all, keep last
]
