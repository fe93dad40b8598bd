"""Celery for the production profile (``CELERY_BROKER_URL`` or ``REDIS_URL``): one task, ``execute_step``.

A message is only a doorbell: the worker claims the step in the database, so a redelivered message never
runs a command twice (``procedures.services.claim_step``). Start: ``celery -A portal worker -l info``, with
``-Q <name>`` when ``PORTAL_CELERY_QUEUE`` names another queue than ``celery``; the web process sends through
``procedures.execution.dispatch.send_to_workers``. tests/prod starts real workers this way.
Settings with the ``CELERY_`` prefix (portal/settings.py) win; the values below fill what they leave out.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
_longest_step_s = int(os.environ.get("PORTAL_LONGEST_STEP_S", str(4 * 3600)))
for key, value in {
    "task_acks_late": True,
    "task_reject_on_worker_lost": False,  # a lost step is reaped as interrupted; a redelivery would find it claimed
    "worker_prefetch_multiplier": 1,
    "broker_transport_options": {"visibility_timeout": _longest_step_s + 600},  # longer than the longest step
    "worker_soft_shutdown_timeout": 30,
}.items():
    if app.conf.get(key) in (None, {}):
        app.conf[key] = value
app.conf.imports = (*tuple(app.conf.imports or ()), "procedures.execution.tasks")
