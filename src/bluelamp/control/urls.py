from django.urls import path

from bluelamp.control import views

app_name = "control"
urlpatterns = [
    path("contacts/new", views.take_call, name="take-call"),
    path("contacts/<int:contact_id>/", views.contact, name="contact"),
    path("incidents/", views.queue, name="queue"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path("incidents/<int:incident_id>/log", views.add_log, name="add-log"),
    path("incidents/<int:incident_id>/assess", views.assess, name="assess"),
    path("incidents/<int:incident_id>/status", views.transition, name="transition"),
    path("incidents/<int:incident_id>/close", views.close, name="close"),
    path("live", views.live_feed, name="live"),
    path("units/", views.board, name="units"),
    path("units/<int:unit_id>/status", views.set_unit_status, name="unit-status"),
    path("command/", views.command, name="command"),
    path("map/", views.map_screen, name="map"),
    path("map/boundaries.geojson", views.map_boundaries, name="map-boundaries"),
    path("map/data.json", views.map_data, name="map-data"),
    path("map/incidents/<int:incident_id>/assign", views.map_assign, name="map-assign"),
    path("urgent/", views.urgent, name="urgent"),
    path("urgent/<int:alert_id>/acknowledge", views.acknowledge_urgent, name="acknowledge-urgent"),
]
