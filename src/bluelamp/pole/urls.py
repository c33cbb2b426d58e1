from django.urls import path

from bluelamp.pole import views

app_name = "pole"
urlpatterns = [
    path("history/", views.history, name="history"),
    path("people/<int:person_id>/", views.person, name="person"),
]
