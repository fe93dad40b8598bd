"""On PostgreSQL too, the header's count of what waits for a person is one query (a UNION of every decision of
``procedures.signoff``), and it agrees with the Sign-offs queue."""

import pytest
from django.utils import timezone

from clusters.choices import DomainRoleName
from procedures import hostkeys, services
from procedures.models import DutyRecord
from procedures.queue import queue_for, waiting_count
from tests.factories import MembershipFactory, UserFactory
from tests.fixtures.runs import build_world, console_step, make_plan
from tests.runs.test_host_key_rules import new_key

pytestmark = [pytest.mark.prod, pytest.mark.django_db]


def test_the_header_count_is_one_query_and_agrees_with_the_queue(settings, django_assert_max_num_queries):
    settings.PORTAL_DISPATCH = "none"
    w = build_world()
    admin = UserFactory(username="run-domain-admin")
    MembershipFactory(domain=w.domain, user=admin, role=DomainRoleName.DOMAIN_ADMIN)
    w.node1.host_key = new_key()
    w.node1.save()
    services.create_run(w.cluster, make_plan(w.cluster, [console_step("c")]), user=w.operator)
    DutyRecord.objects.create(
        server=w.cluster.server, node=w.node1, done_at=timezone.now(), reason="console", recorded_by=w.operator
    )
    hostkeys.record_change(w.node1, new_key(), by=w.operator)
    for person, expected in ((admin, 3), (w.approver, 2), (w.operator, 0)):
        with django_assert_max_num_queries(1):
            count = waiting_count(person)
        assert count == expected == queue_for(person).total, person
