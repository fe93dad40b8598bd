"""Rehearse on the lab: the same plan on a lab cluster shaped like the target, then the real run of that plan.

Both run pages link the two and show "rehearsed on <date>, by <whom>, <outcome>"; a domain's rule refuses
approving a real K.5 (2) run whose plan has no successful rehearsal, with a message naming the rule.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from procedures import services
from procedures.catalog import k5_2
from procedures.choices import RunState, StepState
from procedures.exceptions import RehearsalRequired, RehearsalUnavailable
from procedures.models import ProcedureRun, RehearsalRule
from procedures.reports.change_record import build_change_record
from tests.e2e.people import client_for, post
from tests.factories import ClusterFactory, DomainFactory, MasterFactory, MembershipFactory, ServerFactory, SiteFactory

pytestmark = pytest.mark.django_db
OPTIONS = {"previous_database_directory": "/GMAXDB"}


def _domain(site, people):
    domain = DomainFactory(site=site)
    MasterFactory(domain=domain)
    for user, role in people:
        MembershipFactory(domain=domain, user=user, role=role)
    return domain


@pytest.fixture
def twins(state_world):
    """The production cluster to convert and its lab twin (same package, volume group, mount points; lab addresses)."""
    w = state_world
    people = [(w.operator, "operator"), (w.approver, "approver"), (w.approver2, "approver")]
    production = _domain(SiteFactory(), people)
    lab = _domain(SiteFactory(is_lab=True), people)
    shape = {"package_name": "convpkg", "package_host": "convhost", "volume_group": "vgconv"}
    target = ServerFactory(domain=production, cluster=ClusterFactory(**shape), uses_mail_server=True).cluster
    twin = ServerFactory(domain=lab, cluster=ClusterFactory(**shape), uses_mail_server=True).cluster
    return w, production, target, twin


def complete_by_services(run, w) -> ProcedureRun:
    """Drive a run to its end without SSH: every command succeeds at once, people confirm and approve."""
    services.approve_run(run.pk, user=w.approver)
    services.start_run(run.pk, user=w.operator)
    for _turn in range(4 * run.steps.count()):
        run.refresh_from_db()
        step = run.steps.exclude(state__in=StepState.FINISHED).order_by("position").first()
        if step is None:
            break
        if step.state == StepState.AWAITING_APPROVAL:
            services.approve_step(step.pk, user=w.approver2)
        elif step.state == StepState.RUNNING:
            services.claim_step(step.pk, attempt=step.attempt, worker="test")
            services.finish_step(step.pk, worker="test", attempt=step.attempt, ok=True)
        elif step.state == StepState.AWAITING_CONFIRMATION:
            services.confirm_step(step.pk, user=w.operator, ticked=[i.key for i in step.planned.checklist])
        elif step.state == StepState.AWAITING_SIGNOFF:
            services.sign_off_step(step.pk, user=w.approver2)
    run.refresh_from_db()
    return run


def test_a_rehearsal_then_the_real_run_of_the_same_plan_are_linked_on_both_pages(twins):
    w, production, target, twin = twins
    operator, approver = client_for(w.operator), client_for(w.approver)
    plan_page = operator.get(reverse("procedures:plan", args=[target.pk]), {"procedure": "k5-2", **OPTIONS})
    assert 'data-testid="plan-rehearse"' in plan_page.content.decode()
    response = operator.post(reverse("procedures:run-rehearse"), {"cluster": target.pk, "procedure": "k5-2", **OPTIONS})
    rehearsal = ProcedureRun.objects.get(cluster=twin)
    assert response.status_code == 302 and response.url == rehearsal.get_absolute_url()
    assert rehearsal.is_rehearsal and rehearsal.rehearsal_for == target
    assert (
        rehearsal.plan["version"] == k5_2.VERSION
        and rehearsal.plan["options"]["previous_database_directory"] == "/GMAXDB"
    )
    rehearsal = complete_by_services(rehearsal, w)
    assert rehearsal.state == RunState.COMPLETED

    RehearsalRule.objects.create(domain=production, procedure="k5-2")
    post(operator, reverse("procedures:run-plan"), {"cluster": target.pk, "procedure": "k5-2", **OPTIONS},
         what="planning the real run")  # fmt: skip
    real = ProcedureRun.objects.get(cluster=target)
    assert real.plan_digest == rehearsal.rehearsal_of  # the same plan
    post(approver, reverse("procedures:run-action", args=[real.pk, "approve"]), what="approval")  # rehearsed: allowed

    real_page = operator.get(real.get_absolute_url()).content.decode()
    assert rehearsal.get_absolute_url() in real_page
    day = rehearsal.finished_at.strftime("%Y-%m-%d")
    assert f"rehearsed on {day}, by {w.operator.username}, Completed" in real_page
    rehearsal_page = operator.get(rehearsal.get_absolute_url()).content.decode()
    assert real.get_absolute_url() in rehearsal_page and 'data-testid="real-run-link"' in rehearsal_page
    with translation.override("en"):  # the change record the board files says it too
        assert build_change_record(real, w.operator).rehearsals == [
            f"rehearsed on {day}, by {w.operator.username}, Completed"
        ]


def test_the_domains_rule_refuses_approving_an_unrehearsed_conversion(twins):
    w, production, target, _twin = twins
    RehearsalRule.objects.create(domain=production, procedure="k5-2")
    real = services.plan_run(target.pk, "k5-2", OPTIONS, user=w.operator)
    with translation.override("en"), pytest.raises(RehearsalRequired) as refused:
        services.approve_run(real.pk, user=w.approver)
    assert f"the rule of domain {production.name} “rehearse K.5 (2) " in str(refused.value)
    assert real.plan_digest[:12] in str(refused.value)
    page = client_for(w.approver).post(reverse("procedures:run-action", args=[real.pk, "approve"]), follow=True)
    assert "rehearse K.5 (2)" in page.content.decode() or "K.5 (2)" in page.content.decode()
    real.refresh_from_db()
    assert real.state == RunState.PLANNED

    other = services.plan_run(target.pk, "k5-2", {"previous_database_directory": "/OTHER"}, user=w.operator)
    lab_run = services.plan_rehearsal(target.pk, "k5-2", OPTIONS, user=w.operator)
    complete_by_services(lab_run, w)
    with pytest.raises(RehearsalRequired):
        services.approve_run(other.pk, user=w.approver)  # another plan (other options): not rehearsed
    services.approve_run(real.pk, user=w.approver)


def test_no_lab_cluster_of_that_shape_means_no_rehearsal(state_world):
    w = state_world
    with translation.override("en"), pytest.raises(RehearsalUnavailable) as refused:
        services.plan_rehearsal(w.cluster.pk, "k5-1a", user=w.operator)
    assert "no lab cluster is shaped like" in str(refused.value)
