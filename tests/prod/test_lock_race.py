"""Two runs that touch one server, started at once on PostgreSQL: one starts, the other is refused naming it."""

import pytest

from tests.fixtures.runs import build_world
from tests.runs import lock_races

pytestmark = [pytest.mark.prod, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scenario", [lock_races.one_standalone_server_two_runs, lock_races.crossing_fan_outs])
def test_two_runs_that_touch_one_server_started_at_once_one_starts(settings, scenario):
    settings.PORTAL_DISPATCH = "none"
    scenario(build_world())
