"""The websocket a browser opens per run: every log line after the one it saw last, then live, once each.

Order of work on connect matters: join the group *before* reading the backlog, then drop
what was already sent by comparing sequence numbers, so no line falls between the two. A push whose first
line does not follow the last one sent means the channel layer lost something: read it back from the
database. An idle check does the same, so even a lost final push is caught. After the backlog comes one
frame with the run's and every step's current state, so a page that reconnects learns what changed meanwhile.

The right to watch is asked again every ``PORTAL_SOCKET_RECHECK_S`` seconds, from the database and the
session store (not from what the socket was opened with): a logged-out session or a removed role closes the
socket with the code a refused connect gets (4401, 4403), and nothing more is sent on it.
"""

import asyncio
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth

from clusters.models import AddressDomain
from portal.errors import BadParameter, whole_number
from procedures import services
from procedures.live import emitter, logstream
from procedures.models import RunLogLine
from procedures.texts import language_of_scope

BAD_REQUEST = 4400  # the close code of a malformed connect (as 4401 / 4403 are those of a refused one)
IDLE_CHECK_S = 2.0  # settings.PORTAL_SOCKET_IDLE_CHECK_S overrides it
LOGGED_OUT, NOT_ALLOWED = 4401, 4403  # close codes: on connect, and when a re-check finds the right gone


class RunConsumer(AsyncWebsocketConsumer):
    run_id = None

    refused = None  # the close code once a re-check found the right gone

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=LOGGED_OUT)
            return
        run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        if not await database_sync_to_async(services.can_watch_run)(user, run_id):
            await self.close(code=NOT_ALLOWED)
            return
        after = self._after()
        if after is None:  # a malformed ?after= ("²", "abc"): refused like a bad request, never a crash
            await self.close(code=BAD_REQUEST)
            return
        emitter.serving_loop_is(asyncio.get_running_loop())
        self.run_id, self.last_seq = run_id, after
        self.language = language_of_scope(self.scope)  # the portal's own texts are rendered in it
        self.lock, self.seen_push = asyncio.Lock(), False
        await self.channel_layer.group_add(emitter.run_group(run_id), self.channel_name)
        await self.accept()
        await self.catch_up()
        await self.send(text_data=await database_sync_to_async(logstream.state_frame)(run_id, language=self.language))
        self.idle = asyncio.create_task(self._idle_checks())
        self.recheck = asyncio.create_task(self._recheck_right())

    def _after(self) -> int | None:
        """The last sequence number the browser holds; None when the parameter is not a whole number."""
        values = parse_qs(self.scope.get("query_string", b"").decode(errors="replace")).get("after", ["0"])
        try:
            return whole_number(values[0], name="after", default=0)
        except BadParameter:
            return None

    async def disconnect(self, code):
        if self.run_id is None:
            return
        for task in (getattr(self, "idle", None), getattr(self, "recheck", None)):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        await self.channel_layer.group_discard(emitter.run_group(self.run_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The browser may ask for lines after a seq it holds (it found a gap): ``{"after": 123}``."""
        if text_data and text_data.startswith("{") and '"after"' in text_data:
            await self.catch_up()

    # The right to watch, asked again.
    async def _recheck_right(self):
        every = getattr(settings, "PORTAL_SOCKET_RECHECK_S", 5.0)
        while self.refused is None:
            await asyncio.sleep(every)
            code = await database_sync_to_async(self._refusal)()
            if code is not None:
                self.refused = code
                await self.channel_layer.group_discard(emitter.run_group(self.run_id), self.channel_name)
                await self.close(code=code)

    def _refusal(self) -> int | None:
        """The code a connect would be refused with now, or None while the viewer may still watch the run."""
        user = self._current_user()
        if user is None or not user.is_authenticated:
            return LOGGED_OUT
        return None if services.can_watch_run(user, self.run_id) else NOT_ALLOWED

    def _current_user(self):
        return session_user(self.scope)

    async def catch_up(self, upto: int | None = None):
        if self.refused is not None:
            return
        async with self.lock:
            while upto is None or self.last_seq < upto:
                text, last, count = await database_sync_to_async(logstream.frame_after)(
                    self.run_id, self.last_seq, language=self.language
                )
                if not count:
                    return
                await self.send(text_data=text)
                self.last_seq = last

    async def _idle_checks(self):
        """Lines stored an idle period ago that no push has brought by now are read from the database.

        Only those: catching up on everything stored made every viewer read a flood back from the database
        whenever the pushes paused for one period (a busy machine), and the readers then held up the writer
        (one SQLite file) so the pushes paused again; 20 viewers of a 100,000-line step took 56 s instead of 6.
        """
        stored_before = 0
        while True:
            await asyncio.sleep(getattr(settings, "PORTAL_SOCKET_IDLE_CHECK_S", IDLE_CHECK_S))
            if not self.seen_push and self.last_seq < stored_before:
                await self.catch_up(upto=stored_before)
            self.seen_push = False
            stored_before = await database_sync_to_async(RunLogLine.objects.last_seq)(self.run_id)

    async def dispatch(self, message):
        """A push of lines goes straight to ``run_lines``: channels' own dispatch first closes stale database
        connections through a thread hop for every message, which with 20 viewers at 5,000 lines/s was a
        third of the event loop's time (benchmarks/README.md, latency). ``run_lines`` reads the database only
        through ``database_sync_to_async``, which closes stale connections itself."""
        if message.get("type") == "run.lines":
            await self.run_lines(message)
        else:
            await super().dispatch(message)

    # Channel-layer events (type "run.lines" → run_lines, and so on).
    async def run_lines(self, event):
        self.seen_push = True
        if self.refused is not None:
            return
        async with self.lock:
            if event["last"] <= self.last_seq:
                return
            if event["first"] == self.last_seq + 1:
                await self.send(text_data=self._frame(event))
                self.last_seq = event["last"]
                return
        await self.catch_up()  # a push went missing on the way; the database has every line

    async def run_state(self, event):
        self.seen_push = True
        await self.catch_up(upto=event["upto"])
        if self.refused is None:
            await self.send(text_data=self._frame(event))

    def _frame(self, event) -> str:
        """The pushed frame in this viewer's language (a push carries one per language when it has to)."""
        return (event.get("frames") or {}).get(self.language) or event["frame"]


def session_user(scope):
    """The session's user as the session store has it now (logged out, or its password changed: anonymous)."""
    session = scope.get("session")
    if session is None or not session.session_key:  # a consumer driven without the session middleware
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return auth.get_user_model()._default_manager.filter(pk=user.pk, is_active=True).first()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    return auth.get_user(SimpleNamespace(session=store))


class HomeConsumer(AsyncWebsocketConsumer):
    """The home page's doorbell: one group per domain the person may see (``emitter.home_group``).

    An event names only the run that changed; the page then reads its panels over HTTP, scoped to the person
    like every page. The domains are asked again every ``PORTAL_SOCKET_RECHECK_S`` seconds, as the run socket
    asks its right: a removed role leaves that domain's group, a logged-out session closes the socket (4401).
    """

    groups_joined: tuple = ()
    recheck = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        domains = await database_sync_to_async(_visible_domain_ids)(user)
        emitter.serving_loop_is(asyncio.get_running_loop())
        self.groups_joined = tuple(emitter.home_group(pk) for pk in domains)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.recheck = asyncio.create_task(self._recheck_domains())

    async def disconnect(self, code):
        if self.recheck is not None and self.recheck is not asyncio.current_task():
            self.recheck.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _recheck_domains(self):
        every = getattr(settings, "PORTAL_SOCKET_RECHECK_S", 5.0)
        while True:
            await asyncio.sleep(every)
            domains = await database_sync_to_async(self._domains_now)()
            if domains is None:
                for group in self.groups_joined:
                    await self.channel_layer.group_discard(group, self.channel_name)
                self.groups_joined = ()
                await self.close(code=LOGGED_OUT)
                return
            wanted = tuple(emitter.home_group(pk) for pk in domains)
            for group in set(self.groups_joined) - set(wanted):
                await self.channel_layer.group_discard(group, self.channel_name)
            for group in set(wanted) - set(self.groups_joined):
                await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined = wanted

    def _domains_now(self) -> list[int] | None:
        user = session_user(self.scope)
        return None if user is None or not user.is_authenticated else _visible_domain_ids(user)

    async def home_changed(self, event):
        await self.send(text_data=emitter.frame([{"type": "changed", "run": event["run"]}]))


def _visible_domain_ids(user) -> list[int]:
    return list(AddressDomain.objects.visible_to(user).values_list("pk", flat=True))
