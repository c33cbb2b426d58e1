"""Report journeys and tracking: the public pages every force site has."""

from django.urls import path

from bluelamp.online import views

app_name = "online"

urlpatterns = [
    path("report/", views.report_index, name="report-index"),
    path("report/privacy/", views.privacy, name="privacy"),
    path("report/track/", views.track, name="track"),
    path("report/track/report/", views.track_status, name="track-status"),
    path("report/track/finish/", views.track_finish, name="track-finish"),
    path("report/<slug:journey>/", views.start, name="start"),
    path("report/<slug:journey>/emergency/", views.emergency, name="emergency"),
    path("report/<slug:journey>/advice/<slug:signpost>/", views.advice, name="advice"),
    path("report/<slug:journey>/outside-area/", views.outside_area, name="outside-area"),
    path("report/<slug:journey>/other-force/", views.other_force, name="other-force"),
    path("report/<slug:journey>/check/", views.check, name="check"),
    path("report/<slug:journey>/done/", views.done, name="done"),
    path("report/<slug:journey>/<slug:question>/", views.question, name="question"),
]
