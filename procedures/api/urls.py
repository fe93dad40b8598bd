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
    path("hosts/changes/<int:pk>/", hostkeys.HostKeyChangeView.as_view(), name="api-host-key-change"),
    path("hosts/changes/<int:pk>/accept/", hostkeys.AcceptHostKeyChangeView.as_view(),
         name="api-host-key-change-accept"),
    path("hosts/changes/<int:pk>/sign-off/", hostkeys.SignOffHostKeyChangeView.as_view(),
         name="api-host-key-change-sign-off"),
    path("hosts/changes/<int:pk>/reject/", hostkeys.RejectHostKeyChangeView.as_view(),
         name="api-host-key-change-reject"),
    *router.urls,
]  # fmt: skip
