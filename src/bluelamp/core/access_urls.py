from django.urls import path

from bluelamp.core import access_views

app_name = "access"
urlpatterns = [
    path("roles/", access_views.roles, name="roles"),
    path("roles/<int:role_id>/", access_views.role, name="role"),
    path("tokens/", access_views.api_tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke", access_views.revoke_api_token, name="revoke-token"),
]
