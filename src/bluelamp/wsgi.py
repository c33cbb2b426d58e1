"""WSGI entry point, for servers that do not speak ASGI (no live updates there)."""

import os

from bluelamp.cli import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")

with exit_on_config_error():
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
