from django.urls import path

from bluelamp.control import views
from bluelamp.control.contacts import views as contact_views
from bluelamp.control.incidents import views as incident_views
from bluelamp.control.units import views as unit_views

app_name = "control"
urlpatterns = [
    path("contacts/new", contact_views.take_call, name="take-call"),
    path("contacts/<int:contact_id>/", contact_views.contact, name="contact"),
    path("incidents/", incident_views.queue, name="queue"),
    path("incidents/<int:incident_id>/", incident_views.incident, name="incident"),
    path("incidents/<int:incident_id>/log", incident_views.add_log, name="add-log"),
    path("incidents/<int:incident_id>/assess", incident_views.assess, name="assess"),
    path("incidents/<int:incident_id>/status", incident_views.transition, name="transition"),
    path("incidents/<int:incident_id>/close", incident_views.close, name="close"),
    path("live", views.live_feed, name="live"),
    path("units/", unit_views.board, name="units"),
    path("units/<int:unit_id>/status", unit_views.set_unit_status, name="unit-status"),
    path("command/", views.command, name="command"),
    path("map/", views.map_screen, name="map"),
    path("map/boundaries.geojson", views.map_boundaries, name="map-boundaries"),
    path("map/data.json", views.map_data, name="map-data"),
    path("map/incidents/<int:incident_id>/assign", views.map_assign, name="map-assign"),
    path("urgent/", unit_views.urgent, name="urgent"),
    path("urgent/<int:alert_id>/acknowledge", unit_views.acknowledge_urgent, name="acknowledge-urgent"),
]
