"""The home page's socket: a doorbell per domain, rung when a run of that domain changes, for its people only."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from procedures.live import emitter
from procedures.live.routing import websocket_urlpatterns
from tests.live.test_run_socket import make_run

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/home/")
    ws.scope["user"] = user
    return ws


async def test_the_home_socket_rings_when_a_run_of_the_domain_changes(operator, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator)
    assert (await ws.connect())[0]
    await database_sync_to_async(emitter.publish_run)(run.pk)
    assert json.loads(await ws.receive_from(timeout=5)) == [{"type": "changed", "run": run.pk}]
    await ws.disconnect()


async def test_the_home_socket_stays_silent_for_another_domain_and_refuses_the_anonymous(operator, outsider, domain):
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(outsider)
    assert (await ws.connect())[0]
    await database_sync_to_async(emitter.publish_run)(run.pk)
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
    anonymous = await connect(AnonymousUser())
    connected, code = await anonymous.connect()
    assert not connected and code == 4401


async def test_a_removed_role_stops_the_rings_of_that_domain(operator, domain, settings):
    from clusters.models import DomainMembership

    settings.PORTAL_SOCKET_RECHECK_S = 0.1
    run = await database_sync_to_async(make_run)(domain, operator)
    ws = await connect(operator)
    assert (await ws.connect())[0]
    await database_sync_to_async(DomainMembership.objects.filter(user=operator, domain=domain).delete)()
    await asyncio.sleep(0.5)  # a re-check or more
    await database_sync_to_async(emitter.publish_run)(run.pk)
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
