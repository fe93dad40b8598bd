"""The run's websocket served by a running Daphne (the whole ASGI app), read by a real websocket client.

The client logs in with the Django session cookie, as a browser does. Lines are written in this process
as a step's log writer writes them (``store_lines`` in a transaction per batch, then ``publish_lines``) or
by a real step running ``lab-flood`` on a lab node; they reach the server through Redis, the production
profile's channel layer. The server's idle check is switched off there, so every live line seen has come
through a push (or through the gap filling a push triggers), not through polling. The embedded default is
covered too: a step started with the run page's form runs in the server's own thread pool and pushes
through the in-memory layer.
"""

import json
import threading
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest
import redis
from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from clusters.choices import DomainRoleName
from portal.settings import redis_channel_layer
from procedures import services
from procedures.choices import RunState
from procedures.execution import dispatch
from procedures.live import emitter
from procedures.models import ProcedureRun, RunLogLine
from procedures.models.logs import store_lines
from tests.factories import DomainFactory, MasterFactory, MembershipFactory, UserFactory
from tests.fixtures.runs import command_step, host_ref, inventory_from_lab, make_plan, wait_until
from tests.live.server import FreshDaphneProcess

TOTAL = 100_000
BATCH = 1000  # lines per flush, about what the log writer stores at a time under a flood


def redis_layer(url: str, prefix: str) -> dict:
    """The portal's own Redis channel layer (its read time-out above all), on the test's Redis and prefix."""
    return {"default": redis_channel_layer(url, prefix)}


def approved_flood_run(case, prefix: str):
    """A lab-built inventory and an approved run whose one step prints TOTAL lines on node 1 (``lab-flood``)."""
    domain = inventory_from_lab(case.lab)
    operator = case.member(f"{prefix}-op", domain=domain)
    approver = case.member(f"{prefix}-ap", DomainRoleName.APPROVER, domain)
    cluster = domain.master.cluster
    node1 = cluster.nodes.get(position=1)
    plan = make_plan(cluster, [command_step("flood", [host_ref(node1, f"lab-flood {TOTAL}")], timeout_s=600)])
    run = services.create_run(cluster, plan, user=operator)
    services.approve_run(run.pk, user=approver)
    return operator, run


@pytest.fixture(scope="module", autouse=True)
def _redis_of_the_session(redis_url):
    """Module-scoped, so it is set before the class's setUpClass (a class-scoped step) starts Daphne."""
    RunSocketOverRedisTest.redis_url = redis_url


class RunSocketOverRedisTest(ChannelsLiveServerTestCase):
    host = "127.0.0.1"
    ProtocolServerProcess = FreshDaphneProcess
    redis_url = ""  # tests.fixtures.services.redis_url

    @classmethod
    def setUpClass(cls):
        cls.redis = redis.Redis.from_url(cls.redis_url, socket_connect_timeout=3)
        try:
            cls.redis.ping()
        except redis.RedisError as e:
            pytest.fail(f"Redis at {cls.redis_url} does not answer ({e}): start redis-server", pytrace=False)
        cls.prefix = f"portal-live-{uuid.uuid4().hex[:10]}"  # this class's own keys, whoever else uses Redis
        # Before the server process starts, so it uses the same settings (it is forked from this one).
        cls._settings = override_settings(
            CHANNEL_LAYERS=redis_layer(cls.redis_url, cls.prefix), PORTAL_SOCKET_IDLE_CHECK_S=3600
        )
        cls._settings.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._settings.disable()
        for key in cls.redis.scan_iter(f"{cls.prefix}*"):
            cls.redis.delete(key)
        cls.redis.close()

    # helpers

    def member(self, name: str, role=DomainRoleName.OPERATOR, domain=None):
        """A user with ``role`` in ``domain`` (a domain of its own when none is given)."""
        user = UserFactory(username=name)
        MembershipFactory(user=user, role=role, domain=domain or DomainFactory())
        return user

    def new_run(self, user):
        master = MasterFactory(domain=user.domain_memberships.get().domain)
        plan = make_plan(master.cluster, [command_step("flood", [])])
        run = services.create_run(master.cluster, plan, user=user)
        return run, run.steps.get()

    def socket(self, user, run_id: int, after: int | None = None, origin: str | None = None):
        self.client.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={self.client.cookies[settings.SESSION_COOKIE_NAME].value}"
        query = f"?after={after}" if after is not None else ""
        return connect(
            f"{self.live_server_ws_url}/ws/runs/{run_id}/{query}",
            origin=origin or self.live_server_url,
            additional_headers={"Cookie": cookie},
            open_timeout=10,
            max_size=None,
        )

    def receive(self, ws, *, upto: int, into: list, timeout: float = 60) -> list:
        """Log messages until the one numbered ``upto`` (state messages are kept apart)."""
        while not into or into[-1]["seq"] < upto:
            for message in emitter.expand(json.loads(ws.recv(timeout=timeout))):
                if message["type"] == "log":
                    into.append(message)
        return into

    def write(self, run, step, first: int, last: int, *, push: bool = True) -> None:
        for start in range(first, last + 1, BATCH):
            rows = [
                (run.pk, step.pk, 1, "gmx1a (node 1)", n, "out", f"line {n}", timezone.now())
                for n in range(start, min(start + BATCH, last + 1))
            ]
            with transaction.atomic():
                store_lines(rows)
            if push:
                emitter.publish_lines(run.pk, rows)

    # tests

    def test_a_viewer_gets_the_backlog_then_live_lines_pushed_from_another_process(self):
        operator = self.member("operator")
        run, step = self.new_run(operator)
        self.write(run, step, 1, 50, push=False)
        with self.socket(operator, run.pk) as ws:
            got = self.receive(ws, upto=50, into=[])
            assert [m["seq"] for m in got] == list(range(1, 51))
            states = json.loads(ws.recv(timeout=10))
            assert [(m["type"], m["state"]) for m in states] == [("run", "planned"), ("step", "pending")]
            self.write(run, step, 51, 60)
            live = self.receive(ws, upto=60, into=[])
            assert [(m["seq"], m["text"], m["step"]) for m in live] == [
                (n, f"line {n}", step.pk) for n in range(51, 61)
            ]

    def test_a_viewer_that_reconnects_in_the_middle_of_a_100000_line_step_ends_with_every_line_once(self):
        operator = self.member("operator")
        run, step = self.new_run(operator)
        away, back, written_while_away = threading.Event(), threading.Event(), threading.Event()
        failure = []

        def writer():
            try:
                self.write(run, step, 1, 40_000)
                away.wait(60)
                self.write(run, step, 40_001, 70_000)  # nobody is connected
                written_while_away.set()
                back.wait(60)
                self.write(run, step, 70_001, TOTAL)
            except Exception as e:
                failure.append(e)
                written_while_away.set()
            finally:
                connection.close()

        thread = threading.Thread(target=writer)
        got = []
        with self.socket(operator, run.pk) as ws:
            thread.start()
            self.receive(ws, upto=20_000, into=got)
        away.set()
        assert written_while_away.wait(120) and not failure, failure
        with self.socket(operator, run.pk, after=got[-1]["seq"]) as ws:
            back.set()
            self.receive(ws, upto=TOTAL, into=got)
        thread.join(60)
        assert not failure, failure
        assert [m["seq"] for m in got] == list(range(1, TOTAL + 1))
        assert all(m["text"] == f"line {m['seq']}" for m in got)

    @pytest.mark.lab
    def test_a_real_step_flooding_100000_lines_reaches_a_viewer_that_reconnects_midway(self):
        operator, run = approved_flood_run(self, "flood")
        got = []
        with self.socket(operator, run.pk) as ws:
            services.start_run(run.pk, user=operator)  # the step runs in this process's executor over SSH
            self.receive(ws, upto=10_000, into=got)
        finished = wait_until(
            lambda: ProcedureRun.objects.filter(pk=run.pk, state__in=[RunState.COMPLETED, RunState.WAITING]).first(),
            timeout=300,
            what="the flood step to end",
        )
        assert finished.state == RunState.COMPLETED, finished.wait_message
        last = RunLogLine.objects.last_seq(run.pk)
        with self.socket(operator, run.pk, after=got[-1]["seq"]) as ws:
            self.receive(ws, upto=last, into=got)
        assert [m["seq"] for m in got] == list(range(1, last + 1))
        flood = [m["text"] for m in got if m["stream"] == "out"]
        assert flood == [f"line {n:06d} of {TOTAL}" for n in range(1, TOTAL + 1)]

    def test_an_anonymous_client_is_refused(self):
        operator = self.member("operator")
        run, _ = self.new_run(operator)
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{self.live_server_ws_url}/ws/runs/{run.pk}/", origin=self.live_server_url, open_timeout=10)
        assert refused.value.response.status_code == 403

    def test_a_user_of_another_domain_is_refused(self):
        operator = self.member("operator")
        outsider = self.member("outsider", DomainRoleName.DOMAIN_ADMIN)  # a role, but in another domain
        run, _ = self.new_run(operator)
        with pytest.raises(InvalidStatus) as refused:
            self.socket(outsider, run.pk)
        assert refused.value.response.status_code == 403
        with self.socket(operator, run.pk) as ws:  # the same server lets the domain's own operator in
            assert json.loads(ws.recv(timeout=10))[0]["type"] == "run"

    def test_a_foreign_origin_is_refused(self):
        operator = self.member("operator")
        run, _ = self.new_run(operator)
        with pytest.raises(InvalidStatus) as refused:
            self.socket(operator, run.pk, origin="http://evil.example")
        assert refused.value.response.status_code == 403

    @pytest.fixture(autouse=True)
    def _lab_and_executor(self, request):
        """The lab (only the flood test uses it) and the embedded thread pool for steps started here."""
        self.lab = request.getfixturevalue("running_lab") if "flood" in request.node.name else None
        dispatch.requested.clear()
        yield
        dispatch.drain_pool()


@pytest.mark.lab
class RunSocketEmbeddedTest(ChannelsLiveServerTestCase):
    """The embedded default: in-memory channel layer, and the step runs in the web server's own thread pool."""

    host = "127.0.0.1"
    ProtocolServerProcess = FreshDaphneProcess

    socket = RunSocketOverRedisTest.socket
    receive = RunSocketOverRedisTest.receive
    member = RunSocketOverRedisTest.member

    @pytest.fixture(autouse=True)
    def _lab(self, running_lab):
        self.lab = running_lab

    def post_as(self, user, page: str, action: str) -> int:
        """A form POST from ``page`` to ``action`` on the live server, with the session and CSRF token a browser has."""
        self.client.force_login(user)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
        with opener.open(urllib.request.Request(self.live_server_url + page, headers=headers)):  # noqa: S310 (http)
            pass
        token = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
        headers["Cookie"] += f"; {settings.CSRF_COOKIE_NAME}={token}"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.live_server_url + action, data=data, headers=headers)  # noqa: S310
        with opener.open(request) as response:
            return response.status

    def test_a_step_in_the_servers_own_executor_floods_100000_lines_to_a_viewer_that_reconnects_midway(self):
        operator, run = approved_flood_run(self, "embedded")
        got = []
        with self.socket(operator, run.pk) as ws:
            start = reverse("procedures:run-action", args=[run.pk, "start"])
            assert self.post_as(operator, run.get_absolute_url(), start) == 200
            self.receive(ws, upto=10_000, into=got)
        finished = wait_until(
            lambda: ProcedureRun.objects.filter(pk=run.pk, state__in=[RunState.COMPLETED, RunState.WAITING]).first(),
            timeout=300,
            what="the flood step to end",
        )
        assert finished.state == RunState.COMPLETED, finished.wait_message
        assert finished.started_by == operator  # started through the page's form, so run by the server
        last = RunLogLine.objects.last_seq(run.pk)
        with self.socket(operator, run.pk, after=got[-1]["seq"]) as ws:
            self.receive(ws, upto=last, into=got)
        assert [m["seq"] for m in got] == list(range(1, last + 1))
        flood = [m["text"] for m in got if m["stream"] == "out"]
        assert flood == [f"line {n:06d} of {TOTAL}" for n in range(1, TOTAL + 1)]
