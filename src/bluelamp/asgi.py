"""ASGI entry point (uvicorn): staff screens stream live updates with server-sent events."""

import os
import warnings

from bluelamp.cli import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")
# WhiteNoise serves static files with a synchronous iterator; Django warns about it on every file
# under ASGI. Static files are small and cached by browsers, so the warning is noise here.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

with exit_on_config_error():
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
