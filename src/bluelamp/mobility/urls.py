from django.urls import path

from bluelamp.mobility import views

app_name = "mobility"
urlpatterns = [
    path("", views.register, name="register"),
    path("<int:device_id>/", views.device, name="device"),
    path("factory/", views.factory_board, name="factory"),
    path("allocation/", views.allocation_plan, name="allocation"),
    path("mdm/", views.mdm_queue, name="mdm"),
    path("benefits/", views.benefits, name="benefits"),
]
