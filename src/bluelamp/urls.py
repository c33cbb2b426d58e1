from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from bluelamp.api import api
from bluelamp.core import views as core_views

admin.site.site_header = "bluelamp administration"
admin.site.site_title = "bluelamp"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accessibility", core_views.accessibility, name="accessibility"),
    path("sign-in/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("hr/", include("bluelamp.business.urls")),
    path("audit/", include("bluelamp.core.audit_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "bluelamp.core.errorviews.not_found"
handler500 = "bluelamp.core.errorviews.server_error"
