"""Settings of the benchmark's portal processes: the portal's own, with the few changes a bench needs.

The database and ``var/`` come from the environment the harness sets (a temporary SQLite file or a fresh
PostgreSQL database), so a benchmark never touches ``var/portal.sqlite3``. Everything on the measured path
(executor, log writer, emitter, consumer, channel layer) is the portal's, unchanged.
"""

from portal.settings import *  # noqa: F403
from portal.settings import env

ROOT_URLCONF = "benchmarks.urls"  # the portal's URLs, plus the log routes if they are not wired yet
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users only
# Ten runs at once (the concurrency figure) need ten executor threads in the embedded profile (default 4).
PORTAL_EXECUTOR_THREADS = env.int("PORTAL_EXECUTOR_THREADS", default=12)
# The production profile is measured over loopback HTTP, without its TLS proxy and collectstatic.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
