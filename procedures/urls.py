from django.urls import path

from procedures import views, views_console, views_duties, views_logs, views_queue, views_runs

app_name = "procedures"
urlpatterns = [
    # Plans: the catalog rendered for a cluster, before any run (issue 4)
    path("plan/", views.PlanPickView.as_view(), name="plan-pick"),
    path("clusters/<int:pk>/plan/", views.PlanView.as_view(), name="plan"),
    # Runs (issue 5)
    path("runs/", views_runs.RunListView.as_view(), name="run-list"),
    path("runs/plan/", views_runs.PlanRunView.as_view(), name="run-plan"),
    path("runs/<int:pk>/", views_runs.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/log/", views_logs.RunLogView.as_view(), name="run-log"),
    path("runs/<int:pk>/log.txt", views_logs.RunLogDownloadView.as_view(), name="run-log-download"),
    path("runs/<int:pk>/<slug:action>/", views_runs.RunActionView.as_view(), name="run-action"),
    # Console steps, sign-off queue (issue 7); before the generic step actions
    path("steps/<int:pk>/confirm/", views_console.ConsoleConfirmView.as_view(), name="step-confirm"),
    path("steps/<int:pk>/screenshots/<int:shot>/", views_console.ScreenshotView.as_view(), name="step-screenshot"),
    path("queue/", views_queue.QueueView.as_view(), name="queue"),
    path("steps/<int:pk>/<slug:action>/", views_runs.StepActionView.as_view(), name="step-action"),
    path("hosts/<slug:kind>/<int:pk>/verify/", views_runs.VerifyConnectionView.as_view(), name="verify-connection"),
    # The domain's standing mhs_nadr_cfg duty (K.5 A-N1 / B-46 / C-40)
    path("domains/<int:pk>/mhs-nadr-cfg/", views_duties.DomainDutyView.as_view(), name="domain-duty"),
]
