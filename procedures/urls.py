from django.urls import path

from procedures.views import console, duties, home, hostkeys, logs, plan, queue, reports, runs, signoff_rules

app_name = "procedures"
urlpatterns = [
    # The home page's panels, read again when the home socket rings (the page itself is the site's root)
    path("home/panels/", home.HomePanelsView.as_view(), name="home-panels"),
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
    path("runs/<int:pk>/change-record.pdf", reports.ChangeRecordPdfView.as_view(), name="run-change-record"),
    path("runs/<int:pk>/<slug:action>/", runs.RunActionView.as_view(), name="run-action"),
    # Console steps and the sign-off queue; before the generic step actions
    path("steps/<int:pk>/confirm/", console.ConsoleConfirmView.as_view(), name="step-confirm"),
    path("steps/<int:pk>/screenshots/<int:shot>/", console.ScreenshotView.as_view(), name="step-screenshot"),
    path("queue/", queue.QueueView.as_view(), name="queue"),
    path("steps/<int:pk>/<slug:action>/", runs.StepActionView.as_view(), name="step-action"),
    # Host keys: fetch and pin a first key; compare, accept and sign off a changed one
    path("hosts/<slug:kind>/<int:pk>/verify/", hostkeys.HostKeyView.as_view(), name="verify-connection"),
    path("host-key-changes/<int:pk>/", hostkeys.HostKeyChangeView.as_view(), name="host-key-change"),
    # The domain's standing mhs_nadr_cfg duty (K.5 A-N1 / B-46 / C-40)
    path("domains/<int:pk>/mhs-nadr-cfg/", duties.DomainDutyView.as_view(), name="domain-duty"),
    path("domains/<int:pk>/mhs-nadr-cfg/outside/", duties.RecordOutsideView.as_view(), name="duty-record-outside"),
    path("duty-records/<int:pk>/decide/", duties.DecideOutsideView.as_view(), name="duty-record-decide"),
    # The domain's sign-off rules (N of M approvers, rehearsal first): read by its people, set by its administrators
    path("domains/<int:pk>/signoff-rules/", signoff_rules.SignoffRulesView.as_view(), name="signoff-rules"),
    # Reports per domain: the page, its exports (the same report object)
    path("reports/", reports.ReportIndexView.as_view(), name="report-index"),
    path("reports/domains/<int:pk>/", reports.DomainReportView.as_view(), name="report-domain"),
    path("reports/domains/<int:pk>/report.zip", reports.DomainReportCsvView.as_view(), name="report-domain-csv"),
    path("reports/domains/<int:pk>/report.pdf", reports.DomainReportPdfView.as_view(), name="report-domain-pdf"),
]
