"""Wagtail's users app, with its screens limited to national administrators (user_admin.py).

In a module of its own: Django picks an app's configuration from its apps.py, which must
hold only one."""

from wagtail.users.apps import WagtailUsersAppConfig


class WagtailUsersForNationalAdministrators(WagtailUsersAppConfig):
    user_viewset = "bluelamp.online.cms.user_admin.NationalUserViewSet"
    group_viewset = "bluelamp.online.cms.user_admin.NationalGroupViewSet"
