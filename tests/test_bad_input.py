"""Bad input is a clear error, never a server error: a form error, or a 400 with a message.

DEBUG stays off here (as in production and in the demo), so a crash shows as what a user would get: a 500.
"""

import string

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.models import Node
from procedures import services
from procedures.live.routing import websocket_urlpatterns
from procedures.views.runs import RUN_ACTIONS, STEP_ACTIONS
from tests.factories import MasterFactory
from tests.fixtures.runs import command_step, console_step, host_ref, make_plan

SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


@pytest.fixture
def run(state_world, settings):
    settings.DEBUG = False
    w = state_world
    steps = [console_step("c", items=("screen",)), command_step("cmd", [host_ref(w.node1, "echo hi")])]
    return services.create_run(w.cluster, make_plan(w.cluster, steps), user=w.operator)


def node_form(node, **changes):
    data = {
        "cluster": node.cluster_id,
        "position": node.position,
        "host_name": node.host_name,
        "primary_ip": node.primary_ip,
        "standby_ip": node.standby_ip or "",
        "ssh_address": node.ssh_address,
        "ssh_port": node.ssh_port,
        "ssh_user": node.ssh_user,
        "credential": node.credential_id or "",
        "host_key": node.host_key,
    }
    data.update(changes)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "ssh-ed25519 AAAAforged",  # base64 that is not a key
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQ5y2uTVHUKhS5n0H8fKBYAqTgH9dBqbkWtBQqW3ENj\nssh-rsa AAAA",
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHQ5y2uTVHUKhS5n0H8fKBYAqTgH9dBqbkWtBQqW3ENj",  # says rsa, holds ed25519
        "not a key",
    ],
)
def test_a_mistyped_host_key_in_the_admin_node_form_is_a_form_error(client, admin_user, settings, typed):
    settings.DEBUG = False
    client.raise_request_exception = False
    node = MasterFactory().cluster.primary
    client.force_login(admin_user)
    with translation.override("en"):
        edit = client.post(reverse("admin:clusters_node_change", args=[node.pk]), node_form(node, host_key=typed))
        assert edit.status_code == 200 and "host_key" in edit.context["adminform"].form.errors
        add = client.post(
            reverse("admin:clusters_node_add"), node_form(node, position=2, host_name="gmxnew", host_key=typed)
        )
    assert add.status_code == 200 and "host_key" in add.context["adminform"].form.errors
    node.refresh_from_db()
    assert node.host_key == "" and not Node.objects.filter(host_name="gmxnew").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["after", "before", "limit", "step"])
@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, "abc", "-1", "1e3", "９"])
def test_a_malformed_number_in_the_log_api_is_a_400_with_a_message(client, state_world, run, param, value):
    client.raise_request_exception = False
    client.force_login(state_world.viewer)
    response = client.get(reverse("procedures:run-log", args=[run.pk]), {param: value}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert param in response.json()["error"]
    download = client.get(reverse("procedures:run-log-download", args=[run.pk]), {"step": value})
    assert download.status_code == 400 if param == "step" else True


@pytest.mark.django_db
def test_planning_a_run_for_cluster_abc_is_a_400_with_a_message(client, state_world, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(state_world.operator)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("procedures:run-plan"), {"cluster": "abc", "procedure": "k5-1a"})
    assert response.status_code == 400
    assert "cluster" in response.content.decode() and "whole number" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after", [SUPERSCRIPT_TWO, "abc", "-5"])
async def test_the_socket_refuses_a_malformed_after_with_its_own_close_code(state_world, after):
    run = await database_sync_to_async(
        lambda: services.create_run(
            state_world.cluster, make_plan(state_world.cluster, [console_step("c")]), user=state_world.operator
        )
    )()
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run.pk}/?after={after}")
    ws.scope["user"] = state_world.viewer
    connected, code = await ws.connect()
    assert not connected and code == 4400


# --- every page, every parameter ---------------------------------------------------------------------------


def portal_routes():
    """(url name, {kwarg: converter}) of every page of the portal (the admin is Django's and has its own tests)."""
    routes = []

    def walk(patterns, namespace, converters):
        for entry in patterns:
            found = {**converters, **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin" or str(entry.pattern).startswith("api/"):
                    continue  # the admin is Django's; the API has its own property test (tests/api, schemathesis)
                walk(entry.url_patterns, entry.namespace or namespace, found)
            elif isinstance(entry, URLPattern) and entry.name:
                routes.append((f"{namespace}:{entry.name}" if namespace else entry.name, found))

    walk(get_resolver().url_patterns, None, {})
    return routes


ROUTES = portal_routes()
PARAMETERS = (
    "cluster", "procedure", "after", "before", "limit", "step", "q", "note", "reason", "verdict", "fingerprint",
    "option_previous_database_directory", "option_db_files_precreated", "previous_database_directory",
    "db_files_precreated", "checked", "page", "username", "password", "next", "language",
)  # fmt: skip
SLUGS = (*RUN_ACTIONS, *STEP_ACTIONS, "node", "server", "confirm")
VALUE = st.one_of(st.text(max_size=30), st.sampled_from([SUPERSCRIPT_TWO, "-1", "0", "1", "run", "k5-1a", "\x00"]))
SLUG = st.one_of(st.sampled_from(SLUGS), st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=12))


def path_values(converters, pks):
    values = {}
    for name, converter in converters.items():
        if type(converter).__name__ == "IntConverter":
            values[name] = st.one_of(st.sampled_from(pks), st.integers(0, 10**12))
        else:
            values[name] = SLUG
    return st.fixed_dictionaries(values)


@pytest.fixture
def world(state_world, run, settings):
    settings.DEBUG = False
    settings.PORTAL_SSH_CONNECT_TIMEOUT = 1
    Node.objects.update(ssh_port=9)  # nothing listens there: a connection check fails at once
    w = state_world
    pks = sorted({run.pk, w.cluster.pk, w.domain.pk, w.cluster.server.pk, w.node1.pk, w.node2.pk,
                  *run.steps.values_list("pk", flat=True)})  # fmt: skip
    return w, pks


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_page_answers_arbitrary_parameters_with_a_server_error(world, data):
    w, pks = world
    name, converters = data.draw(st.sampled_from(ROUTES), label="page")
    kwargs = data.draw(path_values(converters, pks), label="path")
    params = data.draw(st.dictionaries(st.sampled_from(PARAMETERS), VALUE, max_size=6), label="params")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    accept = data.draw(st.sampled_from(["text/html", "application/json"]), label="accept")
    user = data.draw(st.sampled_from([w.viewer, w.operator, w.approver]), label="user")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    url = reverse(name, kwargs=kwargs)
    response = getattr(client, method)(url, params, HTTP_ACCEPT=accept)
    assert response.status_code < 500, (method, url, params, response.content[:500])
