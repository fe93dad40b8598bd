"""The portal's URLs; while the log routes are not in procedures/urls.py yet, the bench adds them itself.

They go into the ``procedures`` namespace (before ``runs/<pk>/<action>/``, which would take ``log/``) under
the names the run page reverses (``procedures:run-log``, ``procedures:run-log-download``) and point at
``procedures.views.logs``, the views the portal serves.
"""

from django.urls import include, path

from portal.urls import urlpatterns as portal_patterns
from procedures import urls as procedure_urls
from procedures.views import logs as views_logs

_names = {p.name for p in procedure_urls.urlpatterns if getattr(p, "name", None)}
_extra = []
if "run-log" not in _names:
    _extra.append(path("runs/<int:pk>/log/", views_logs.RunLogView.as_view(), name="run-log"))
if "run-log-download" not in _names:
    _extra.append(path("runs/<int:pk>/log.txt", views_logs.RunLogDownloadView.as_view(), name="run-log-download"))
BENCH_ADDED = [p.name for p in _extra]

urlpatterns = [p for p in portal_patterns if getattr(p, "namespace", None) != "procedures"] + [
    path("procedures/", include(([*_extra, *procedure_urls.urlpatterns], "procedures"), namespace="procedures")),
]
