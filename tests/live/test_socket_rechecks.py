"""An open run socket does not outlive its viewer's right: a removed role or a logged-out session closes it with
the code a refused connect gets, and no line written after that reaches it."""

import json

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client

from clusters.models import DomainMembership
from procedures.live.emitter import expand
from procedures.live.routing import websocket_urlpatterns
from tests.live.test_run_socket import make_run, seqs, write_lines

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_rechecks(settings):
    settings.PORTAL_SOCKET_RECHECK_S = 0.2


async def received_until_closed(ws, timeout: float = 10) -> tuple[list[dict], int]:
    """Every frame, then the close code the server sent."""
    frames = []
    while True:
        output = await ws.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.extend(json.loads(output["text"]))


def logged_in_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def test_a_viewer_whose_role_is_removed_is_closed_with_the_refusal_code(operator, viewer, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run.pk}/")
    ws.scope["user"] = viewer
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 3)
    await database_sync_to_async(DomainMembership.objects.filter(user=viewer, domain=domain).delete)()
    frames, code = await received_until_closed(ws)
    assert code == 4403
    await database_sync_to_async(write_lines)(run, 4, 6)
    assert await ws.receive_nothing(timeout=0.5)
    assert max(seqs(expand(frames)), default=0) <= 3  # nothing written after the removal


async def test_a_logged_out_session_is_closed_with_the_refusal_code(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    cookie = await database_sync_to_async(logged_in_cookie)(operator)
    ws = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/runs/{run.pk}/", headers=[(b"cookie", cookie)]
    )
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 2)
    key = cookie.decode().split("=", 1)[1]
    await database_sync_to_async(Session.objects.filter(session_key=key).delete)()  # what logging out does
    frames, code = await received_until_closed(ws)
    assert code == 4401
    assert max(seqs(expand(frames)), default=0) <= 2


async def test_a_viewer_who_keeps_the_right_keeps_the_socket(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run.pk}/")
    ws.scope["user"] = operator
    assert (await ws.connect())[0]
    await database_sync_to_async(write_lines)(run, 1, 2)
    frames = []
    while 2 not in seqs(expand(frames)):
        frames.extend(json.loads(await ws.receive_from(timeout=10)))
    assert await ws.receive_nothing(timeout=1.0)  # several re-checks later, still open and quiet
    await ws.disconnect()
