from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from bluelamp.api import api, not_found
from bluelamp.core import access_views, sessions, sso
from bluelamp.core import views as core_views

admin.site.site_header = "bluelamp administration"
admin.site.site_title = "bluelamp"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accessibility", core_views.accessibility, name="accessibility"),
    path("sign-in/", access_views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("sign-out-everywhere/", sessions.sign_out_everywhere_view, name="sign-out-everywhere"),
    path("sso/start/", sso.SignOnView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", sso.SignOnCallbackView.as_view(), name="oidc_authentication_callback"),
    path("session/status", sessions.session_status, name="session-status"),
    path("session/keep-alive", sessions.keep_alive, name="session-keep-alive"),
    path("account/", access_views.account, name="account"),
    path("access/", include("bluelamp.core.access_urls")),
    path("hr/", include("bluelamp.business.urls")),
    path("devices/", include("bluelamp.mobility.urls")),
    path("control/", include("bluelamp.control.urls")),
    path("pole/", include("bluelamp.pole.urls")),
    path("audit/", include("bluelamp.core.audit_urls")),
    path("finance/", include("bluelamp.business.finance_urls")),
    path("sites/<slug:force_code>/", include("bluelamp.online.public_urls")),
    path("cms/", include("bluelamp.online.cms.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", not_found),
]

handler403 = "bluelamp.core.errorviews.forbidden"
handler404 = "bluelamp.core.errorviews.not_found"
handler500 = "bluelamp.core.errorviews.server_error"
