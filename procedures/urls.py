from django.urls import path

from procedures.views import console, duties, logs, plan, queue, runs

app_name = "procedures"
urlpatterns = [
    # Plans: the catalog rendered for a cluster, before any run
    path("plan/", plan.PlanPickView.as_view(), name="plan-pick"),
    path("clusters/<int:pk>/plan/", plan.PlanView.as_view(), name="plan"),
    # Runs
    path("runs/", runs.RunListView.as_view(), name="run-list"),
    path("runs/plan/", runs.PlanRunView.as_view(), name="run-plan"),
    path("runs/rehearse/", runs.PlanRehearsalView.as_view(), name="run-rehearse"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/log/", logs.RunLogView.as_view(), name="run-log"),
    path("runs/<int:pk>/log.txt", logs.RunLogDownloadView.as_view(), name="run-log-download"),
    path("runs/<int:pk>/<slug:action>/", runs.RunActionView.as_view(), name="run-action"),
    # Console steps and the sign-off queue; before the generic step actions
    path("steps/<int:pk>/confirm/", console.ConsoleConfirmView.as_view(), name="step-confirm"),
    path("steps/<int:pk>/screenshots/<int:shot>/", console.ScreenshotView.as_view(), name="step-screenshot"),
    path("queue/", queue.QueueView.as_view(), name="queue"),
    path("steps/<int:pk>/<slug:action>/", runs.StepActionView.as_view(), name="step-action"),
    path("hosts/<slug:kind>/<int:pk>/verify/", runs.VerifyConnectionView.as_view(), name="verify-connection"),
    # The domain's standing mhs_nadr_cfg duty (K.5 A-N1 / B-46 / C-40)
    path("domains/<int:pk>/mhs-nadr-cfg/", duties.DomainDutyView.as_view(), name="domain-duty"),
]
