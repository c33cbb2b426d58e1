"""Report journeys and tracking: the public pages every force site has."""

from django.urls import path

from bluelamp.online import views

app_name = "online"

urlpatterns = [
    path("report/", views.report_index, name="report-index"),
]
