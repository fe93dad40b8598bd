"""Settings from the environment, with an embedded default.

With nothing set, the portal runs as one process on one machine: SQLite under ``var/``, the in-memory
channel layer and the step executor inside the web process. ``DATABASE_URL`` and ``REDIS_URL`` switch to
the production profile (PostgreSQL, channels-redis, Celery workers); see docs/ARCHITECTURE.md.
"""

import os
import time
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key_in(folder: Path) -> str:
    """Made once per installation and kept in var/, so a checkout never carries a key."""
    from django.core.management.utils import get_random_secret_key  # not at the top: settings load before apps

    path = folder / "secret_key"
    try:  # created readable by its owner only from the first byte; a concurrent first start reads the winner's
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(100):  # another process made it a moment ago and may still be writing it
            if key := path.read_text().strip():
                return key
            time.sleep(0.01)
        raise ImproperlyConfigured(f"{path} is empty: remove it, or set PORTAL_SECRET_KEY.") from None
    with os.fdopen(fd, "w") as key_file:
        key_file.write(get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = env.str("PORTAL_SECRET_KEY", default="") or _secret_key_in(VAR_DIR)
DEBUG = env.bool("PORTAL_DEBUG", default=False)
# A demonstration (`make demo`, `make demo-prod`): the demo accounts with their published passwords work, and every
# page says it is a demo. Anywhere else those passwords are refused (clusters.demo.RefusePublishedPasswords).
PORTAL_DEMO = env.bool("PORTAL_DEMO", default=False)
REDIS_URL = env.str("REDIS_URL", default="")
# "embedded": one process on one machine; "production": PostgreSQL, Redis and Celery workers.
PROFILE = env.str("PORTAL_PROFILE", default="production" if ("DATABASE_URL" in env or REDIS_URL) else "embedded")
ALLOWED_HOSTS = env.list("PORTAL_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("PORTAL_CSRF_TRUSTED_ORIGINS", default=[])
# The reverse proxies (addresses or networks) whose X-Forwarded-For is believed (portal.middleware); none by default.
PORTAL_TRUSTED_PROXIES = tuple(env.list("PORTAL_TRUSTED_PROXIES", default=[]))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from the package: no CDN
    "django_tables2",
    "portal",
    "clusters",
    "procedures",
]

MIDDLEWARE = [
    "portal.middleware.ClientAddressMiddleware",  # first: everything below reads the client's real address
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.LoginRequiredMiddleware",
    "portal.errors.PortalErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.approver_queue",
                "portal.context_processors.demo",
                "portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Log writers and the web process share the file: wait for a lock instead of failing at once.
    # Not WAL: with WAL, a connection that keeps a read transaction open (the live-server tests' Daphne process)
    # goes on seeing an old snapshot, where the rollback journal made the writer wait instead; WAL with
    # synchronous=FULL measured faster for the log writer (benchmarks/README.md, big_step) and is left for
    # when that is understood.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    # A file, not memory, so a live server in another process sees the test data; one per test process,
    # so two suites running at once on one checkout do not share it (a subprocess passes PORTAL_TEST_DB on).
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("PORTAL_TEST_DB", default=str(VAR_DIR / f"test_portal_{os.getpid()}.sqlite3"))
    }
else:
    # The same on a shared server (PostgreSQL): one test database per test process; a Celery worker or Daphne
    # started by the production-profile suite (tests/prod) is pointed at it through DATABASE_URL.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("PORTAL_TEST_DB", default=f"test_{DATABASES['default']['NAME']}_{os.getpid()}")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def redis_channel_layer(url: str, prefix: str) -> dict:
    """The channel layer on the Redis at ``url``: the one definition, for these settings and the socket tests."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s time-out by default, the same 5 s that channels-redis blocks
            # in BZPOPMIN waiting for a message: a reply that came a moment late raised TimeoutError out of
            # a consumer, and Daphne closed that viewer's socket with 1011 (benchmarks/README.md). A read
            # may take longer than the blocking pop here; a connection still fails within 10 s.
            "hosts": [{"address": url, "socket_timeout": 30, "socket_connect_timeout": 10}],
            "capacity": 1000,
            "prefix": prefix,
        },
    }


CHANNEL_LAYERS = {
    "default": (
        # A prefix of its own keeps two portals (or two test runs) on one Redis apart.
        redis_channel_layer(REDIS_URL, env.str("PORTAL_CHANNEL_PREFIX", default="asgi"))
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    )
}
# How often the log writer starts a batch while a command floods (procedures.execution.logwriter.StepLog). Through
# Redis a batch costs a group_send (one Redis message per Daphne process, naming its viewers' channels) and a
# delivery per viewer in Daphne: at 5,000 lines/s to 20 viewers, 20 ms batches kept 2 AMD EPYC cores busy and a
# line waited 472 ms (p95); 35 ms batches, 95-150 ms (benchmarks/README.md, latency). In one process (embedded)
# a batch costs little and 20 ms is quicker.
PORTAL_LOG_FLUSH_S = env.float("PORTAL_LOG_FLUSH_S", default=0.035 if REDIS_URL else 0.02)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out log-ins before any password check
    "clusters.demo.RefusePublishedPasswords",  # outside a demo, a published demo password never logs anybody in
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "clusters.demo.PublishedPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clusters:domain-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("PORTAL_LANGUAGE", default="ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise looks here even when it serves from the finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PROFILE == "production"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = PROFILE != "production"  # production serves what collectstatic gathered
MEDIA_ROOT = VAR_DIR / "media"  # console screenshots: never served as media, only through a role check
PORTAL_SCREENSHOT_MAX_BYTES = env.int("PORTAL_SCREENSHOT_MAX_BYTES", default=5 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640

# Steps: a claimed step whose worker has not written its heartbeat for PORTAL_STEP_STALE_S is interrupted by the
# reaper; the web process runs the reaper itself when its own thread pool executes the steps (embedded profile).
PORTAL_STEP_STALE_S = env.int("PORTAL_STEP_STALE_S", default=30)
PORTAL_EMBEDDED_REAPER = env.bool("PORTAL_EMBEDDED_REAPER", default=True)
PORTAL_REAPER_INTERVAL_S = env.float("PORTAL_REAPER_INTERVAL_S", default=10.0)
# A websocket re-checks its viewer's right this often (a removed member or a logged-out session is closed).
PORTAL_SOCKET_RECHECK_S = env.float("PORTAL_SOCKET_RECHECK_S", default=5.0)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PROFILE == "production":
    # Served over HTTPS behind a TLS-terminating proxy (docs/DEPLOY.md); the embedded default is loopback HTTP.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("PORTAL_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("PORTAL_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Log-in throttling: five failures lock that user name from that address for an hour.
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_address"  # the address ClientAddressMiddleware established
AXES_LOCKOUT_CALLABLE = "portal.api.tokens.lockout_response"  # the template for a person, JSON for the API

# The JSON API (docs/API.md): a token or the browser's session, a role in the object's domain, errors as JSON.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.auth.TokenAuthentication",  # first: an anonymous request is told 401 with "WWW-Authenticate"
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": env.str("PORTAL_TOKEN_RATE", default="10/minute")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groupmax cluster portal API",
    "DESCRIPTION": "Runs of Groupmax Appendix K.5 on HP-UX ServiceGuard clusters, and their inventory (docs/API.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.api.schema.add_links"],
    "ENUM_NAME_OVERRIDES": {
        "RunStateEnum": "procedures.choices.RunState",
        "StepStateEnum": "procedures.choices.StepState",
    },
}

# Celery (production profile): the broker is only a doorbell; the database says what runs (docs/ARCHITECTURE.md).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False  # a lost step is reaped as interrupted, never redelivered blindly
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("PORTAL_LONGEST_STEP_S", default=4 * 3600) + 600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = env.str("PORTAL_CELERY_QUEUE", default="celery")  # workers take it with -Q

# Where the lab cluster keeps its nodes, shared disks, sshd configurations and keys (clusters/lab/).
LAB_DIR = Path(env.str("PORTAL_LAB_DIR", default=str(VAR_DIR / "lab")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("PORTAL_LOG_LEVEL", default="WARNING")},
}
