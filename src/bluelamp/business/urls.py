from django.urls import path

from bluelamp.business import views

app_name = "business"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("expiring/", views.expiring, name="expiring"),
    path("import/", views.import_workforce, name="import"),
]
