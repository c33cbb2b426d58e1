"""Django settings for bluelamp. Every value an operator may change comes from the
environment through :mod:`bluelamp.config`; nothing here needs editing per deployment."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
from csp.constants import NONE, SELF

from bluelamp import config

django_stubs_ext.monkeypatch()  # lets admin and querysets be subscripted for type checking

CONFIG = config.load()

BLUELAMP_ENV = CONFIG.env
BASE_DIR = CONFIG.home
SRC_DIR = Path(__file__).resolve().parent
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "bluelamp.core",
    "bluelamp.business",
    "bluelamp.mobility",
    "bluelamp.control",
    "bluelamp.dispatch",
    "bluelamp.pole",
    "bluelamp.online",
    "bluelamp.online.cms",
    "bluelamp.demo",
    # Wagtail: force websites and national content (ADR 0006).
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.snippets",
    "bluelamp.online.cms.users_app.WagtailUsersForNationalAdministrators",  # wagtail.users, national admins only
    "wagtail.images",
    "wagtail.documents",  # the editor expects it (its API links to documents)
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
]

MIDDLEWARE = [
    "bluelamp.core.requestcontext.RequestContextMiddleware",
    "bluelamp.online.sites.PublicSiteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "bluelamp.core.sessions.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bluelamp.core.middleware.DomainErrorMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bluelamp.urls"
ASGI_APPLICATION = "bluelamp.asgi.application"
WSGI_APPLICATION = "bluelamp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bluelamp.core.context_processors.platform",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # locks out repeated failures; must come first
    "bluelamp.core.access.RoleBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if BLUELAMP_ENV == "test":
    # Argon2 is deliberately slow; tests create many users. Production never takes this branch.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Single sign-on by OpenID Connect (e.g. Microsoft Entra ID), on when OIDC_RP_CLIENT_ID is set.
OIDC_ENABLED = bool(CONFIG.oidc)
globals().update(CONFIG.oidc)
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("bluelamp.core.sso.StaffOIDCBackend")

# Sign-in protection: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions: signed out after a period without activity (longer for some roles: core/data/
# session_limits.json), with a warning first, and never kept beyond a shift from sign-in.
BLUELAMP_IDLE_TIMEOUT = timedelta(minutes=CONFIG.idle_timeout_minutes)
BLUELAMP_IDLE_WARNING = timedelta(minutes=2)
BLUELAMP_SESSION_LIMITS_FILE = SRC_DIR / "core" / "data" / "session_limits.json"
BLUELAMP_SESSION_MAX_AGE = timedelta(hours=CONFIG.session_max_hours)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Rate limits count in a cache shared by every worker when REDIS_URL is set.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONFIG.redis_url}
        if CONFIG.redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Where the outbox's consumers run (core/consumers.py; ADR 0016): a thread of each web process,
# at once in the committing thread (tests), or "off" when `bluelamp consume` runs them.
BLUELAMP_CONSUMERS = CONFIG.consumers
# Live screens: notices shared between workers (core/live_bridge.py; ADR 0008), and the map's
# background tiles (none unless configured: the boundaries are drawn from the project's data).
BLUELAMP_REDIS_URL = CONFIG.redis_url
BLUELAMP_LIVE_BRIDGE = CONFIG.live_bridge
BLUELAMP_LIVE_CHANNEL = CONFIG.live_channel
BLUELAMP_MAP_TILE_URL = CONFIG.map_tile_url
BLUELAMP_MAP_TILE_ATTRIBUTION = CONFIG.map_tile_attribution
RATELIMIT_VIEW = "bluelamp.core.errorviews.rate_limited"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Uploads (Wagtail images such as force logos) live under BLUELAMP_HOME, never in the repository.
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

# Wagtail (force websites, ADR 0006): the editor is at /cms/ on the staff host; staff sign in
# through our own sign-in page, so sign-in protection and SSO apply to editors too.
WAGTAIL_SITE_NAME = "bluelamp force websites"
WAGTAILADMIN_BASE_URL = CONFIG.admin_base_url
WAGTAILADMIN_LOGIN_URL = "login"
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no calls home from a police network
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 5 * 1024 * 1024

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the build folder outside production, so a rebuild needs no collectstatic.
WHITENOISE_USE_FINDERS = not CONFIG.production
WHITENOISE_AUTOREFRESH = DEBUG

# Security defaults; production turns on everything that needs HTTPS.
# No inline scripts or styles anywhere: every script is a file from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
if CONFIG.map_tile_url:  # the map's tile server, only when one is configured
    _tiles = urlsplit(CONFIG.map_tile_url)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if CONFIG.production:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = CONFIG.ssl_redirect
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "bluelamp": {"level": "INFO"},
        # Django's default config also prints these; one handler (the root's) is enough.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Single Online Home (bluelamp.online): receipts, evidence uploads and delivery.
# The audit trail's and incident logs' HMAC keys, outside the database (core/audit_keys.py).
BLUELAMP_AUDIT_KEYS = CONFIG.audit_keys
BLUELAMP_AUDIT_KEY_ID = CONFIG.audit_key_id
BLUELAMP_AUDIT_CHECKPOINT_DIR = CONFIG.audit_checkpoint_dir
NOTIFY_API_KEY = CONFIG.notify_api_key  # GOV.UK Notify; empty: the local outbox (SentMessage table)
NOTIFY_TEMPLATE_ID = CONFIG.notify_template_id
ONLINE_EVIDENCE_DIR = BASE_DIR / "var" / "evidence"  # outside the web root; never served
ONLINE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
ONLINE_UPLOAD_MAX_FILES = 10
# Pictures are decoded to strip their metadata: a limit in pixels (checked from the header) keeps
# a small file that declares a huge picture from taking a worker's memory.
ONLINE_UPLOAD_MAX_PIXELS = 40_000_000
ONLINE_DRAFT_MAX_BYTES = 50 * 1024 * 1024  # evidence kept per session before a report is sent
# Every public POST, per address and per session; "add information" on a tracked report, tighter.
ONLINE_PUBLIC_POST_RATE = "60/m"
ONLINE_ADD_INFORMATION_RATE = "10/h"
ONLINE_VIRUS_SCANNER = ""  # dotted path of a callable(content: bytes) raising online.evidence.VirusFound
ONLINE_SUBMIT_RATE = "10/m"  # reports sent per IP address
ONLINE_DELIVERY_TIMEOUT_SECONDS = 10.0
