"""The websocket a browser opens per run: every log line after the one it saw last, then live, once each.

Order of work on connect matters (peers.md §2.5): join the group *before* reading the backlog, then drop
what was already sent by comparing sequence numbers, so no line falls between the two. A push whose first
line does not follow the last one sent means the channel layer lost something: read it back from the
database. An idle check does the same, so even a lost final push is caught. After the backlog comes one
frame with the run's and every step's current state, so a page that reconnects learns what changed meanwhile.
"""

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from procedures import services
from procedures.live import emitter, logstream

IDLE_CHECK_S = 2.0  # settings.PORTAL_SOCKET_IDLE_CHECK_S overrides it


class RunConsumer(AsyncWebsocketConsumer):
    run_id = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        if not await database_sync_to_async(services.can_watch_run)(user, run_id):
            await self.close(code=4403)
            return
        emitter.serving_loop_is(asyncio.get_running_loop())
        self.run_id, self.last_seq = run_id, self._after()
        self.lock, self.seen_push = asyncio.Lock(), False
        await self.channel_layer.group_add(emitter.run_group(run_id), self.channel_name)
        await self.accept()
        await self.catch_up()
        await self.send(text_data=await database_sync_to_async(logstream.state_frame)(run_id))
        self.idle = asyncio.create_task(self._idle_checks())

    def _after(self) -> int:
        values = parse_qs(self.scope.get("query_string", b"").decode()).get("after", ["0"])
        return int(values[0]) if values[0].isdigit() else 0

    async def disconnect(self, code):
        if self.run_id is None:
            return
        if getattr(self, "idle", None):
            self.idle.cancel()
        await self.channel_layer.group_discard(emitter.run_group(self.run_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The browser may ask for lines after a seq it holds (it found a gap): ``{"after": 123}``."""
        if text_data and text_data.startswith("{") and '"after"' in text_data:
            await self.catch_up()

    async def catch_up(self, upto: int | None = None):
        async with self.lock:
            while upto is None or self.last_seq < upto:
                text, last, count = await database_sync_to_async(logstream.frame_after)(self.run_id, self.last_seq)
                if not count:
                    return
                await self.send(text_data=text)
                self.last_seq = last

    async def _idle_checks(self):
        while True:
            await asyncio.sleep(getattr(settings, "PORTAL_SOCKET_IDLE_CHECK_S", IDLE_CHECK_S))
            if not self.seen_push:
                await self.catch_up()
            self.seen_push = False

    # Channel-layer events (type "run.lines" → run_lines, and so on).
    async def run_lines(self, event):
        self.seen_push = True
        async with self.lock:
            if event["last"] <= self.last_seq:
                return
            if event["first"] == self.last_seq + 1:
                await self.send(text_data=event["frame"])
                self.last_seq = event["last"]
                return
        await self.catch_up()  # a push went missing on the way; the database has every line

    async def run_gap(self, event):
        self.seen_push = True
        await self.catch_up()

    async def run_state(self, event):
        self.seen_push = True
        await self.catch_up(upto=event["upto"])
        await self.send(text_data=event["frame"])
