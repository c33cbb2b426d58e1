"""The force's Wagtail pages, served from the force's site root: a catch-all, so it comes last
in the public URLconf (public_urls.py)."""

from django.urls import re_path

from bluelamp.online.cms import views

app_name = "online_cms"

urlpatterns = [
    re_path(r"^(?P<path>(?:[-\w]+/)*)$", views.serve_page, name="page"),
]
