from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from procedures.api import hostkeys, logs, reports, views

router = SimpleRouter()
router.register("runs", views.RunViewSet, basename="api-run")
router.register("steps", views.StepViewSet, basename="api-step")

urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="api-queue"),
    path("domains/<int:pk>/report/", reports.DomainReportView.as_view(), name="api-domain-report"),
    path("steps/<int:pk>/log.txt", logs.StepLogTextView.as_view(), name="api-step-log-text"),
    re_path(r"^hosts/(?P<kind>node|server)/(?P<pk>[0-9]+)/verify/$", hostkeys.VerifyHostKeyView.as_view(),
            name="api-host-verify"),
    re_path(r"^hosts/(?P<kind>node|server)/(?P<pk>[0-9]+)/pin/$", hostkeys.PinHostKeyView.as_view(),
            name="api-host-pin"),
    *router.urls,
]  # fmt: skip
