"""The log writer of a running step: numbers its output lines and stores them, then tells live viewers.

Readers (one thread per host) hand over whole blocks of bytes as they came off the SSH channel; the writer
splits them into lines once per block, and one flusher thread writes batches on its own database connection,
so lines survive whatever happens to the step's state afterwards.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from procedures.choices import Stream
from procedures.live import emitter
from procedures.models import RunLogLine, StepRun
from procedures.models.logs import LINE_MAX, escape, insert_blocks

log = logging.getLogger(__name__)
KEY_BLOCK_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
KEY_BLOCK_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")
MASK = "[masked: private key material]"
CAPTURE_LIMIT = 4 * 1024 * 1024  # output kept in memory per host to match the success rule
SQLITE_REST_S = 0.15  # the longest rest of the flusher between batches on SQLite (StepLog._run)
QUEUE_MAX = 200_000  # lines waiting for the flusher before the readers stop reading (the SSH window then fills)
# Lines of one batch at most: under a flood the next batch is stored while viewers are sent the last one, where one
# batch of everything waiting made them wait for the whole of it (benchmarks/README.md, throughput).
BATCH_MAX = 10_000


@dataclass
class Chunk:
    """Lines of one host and stream that arrived together: numbered from ``first``, one time for all."""

    host: str
    stream: str
    first: int
    at: object
    texts: list[str]
    continued: set[int] = field(default_factory=set)  # indexes of pieces that continue the line before
    escaped: set[int] = field(default_factory=set)  # indexes of lines stored escaped (NUL, not UTF-8)

    def block(self) -> tuple:
        """What ``procedures.models.logs.insert_blocks`` stores."""
        return (self.host, self.stream, self.first, self.at, self.texts, self.continued, self.escaped)


class _Stream:
    """What one (host, stream) still holds: the bytes after its last line break, and whether that is a piece."""

    __slots__ = ("continues", "in_key", "tail")

    def __init__(self):
        self.tail = b""
        self.continues = False  # the next line handed on continues a cut one
        self.in_key = False


def _cut(raw: bytes, limit: int) -> int:
    """Where to cut ``raw`` (longer than ``limit``) at most ``limit`` bytes in, not inside a UTF-8 character."""
    cut = limit
    for _ in range(3):
        if not 0x80 <= raw[cut] < 0xC0:  # not a continuation byte: a character starts here
            return cut
        cut -= 1
    return limit if 0x80 <= raw[cut] < 0xC0 else cut


def _texts(raw_lines: list[bytes]) -> tuple[list[str], set[int]]:
    """Each line as text; a line that is not UTF-8 or holds a NUL escaped (and its index noted)."""
    texts, escaped = [], set()
    for i, raw in enumerate(raw_lines):
        try:
            if b"\0" in raw:
                raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL")
            texts.append(raw.decode())
        except UnicodeDecodeError:
            texts.append(escape(raw))
            escaped.add(i)
    return texts, escaped


class StepLog:
    """Numbers lines (run-wide ``seq``) as reader threads hand over blocks; one flusher thread stores them.

    Readers never touch the database: ``add_block()`` splits a block into lines once (decoding it in one go),
    caps a line at ``LINE_MAX`` bytes (the rest follows as continuation lines, so a 10 MB line without a break
    costs what 160 lines cost, not a quadratic concatenation), masks private key material only in a block that
    may hold some, and queues the block's lines with one timestamp (the SSH reader hands on what a 10 ms window
    gathered, so a command that flushes every line still makes a block a window). The flusher writes a batch
    in one statement per block on its own connection, and commits it; a pusher thread then pushes the stored
    batches in order while the flusher writes the next, which holds whatever came meanwhile (the batch grows
    with the load, up to ``BATCH_MAX`` lines). A line that arrives after a quiet spell is written and pushed at
    once; under a flood the flusher starts at most one batch every ``interval`` (``PORTAL_LOG_FLUSH_S``: 20 ms, 35 ms
    with Redis; benchmarks/README.md, latency). ``room()`` tells a reader whether to read on: past ``QUEUE_MAX`` waiting
    lines it waits, and the command then waits for SSH's window, instead of the memory filling up.
    """

    def __init__(self, step: StepRun, *, interval: float | None = None, secrets: frozenset[str] = frozenset()):
        self.run_id, self.step_id, self.attempt = step.run_id, step.pk, step.attempt
        self.interval = interval if interval is not None else settings.PORTAL_LOG_FLUSH_S
        self.secrets = secrets
        self._secret_bytes = [secret.encode() for secret in secrets]
        self.line_max = getattr(settings, "PORTAL_LOG_LINE_MAX", LINE_MAX)
        self._next_seq = RunLogLine.objects.last_seq(self.run_id) + 1
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._queue: list[Chunk] = []
        self._queued = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._pending = threading.Event()  # set when the queue gains a line
        self._room = threading.Event()
        self._room.set()
        self._flusher = threading.Thread(target=self._run, name=f"steplog-{step.pk}", daemon=True)
        # Stored batches wait here for their push, in order, so the next batch is written meanwhile (pushing
        # 20 viewers' copies through Redis took as long as storing them; benchmarks/README.md, throughput).
        self._pushes: queue.SimpleQueue = queue.SimpleQueue()
        self._pusher = threading.Thread(target=self._push_stored, name=f"steplog-push-{step.pk}", daemon=True)
        self.captured: dict[str, list[str]] = {}
        self._captured_size: dict[str, int] = {}
        self.lines = 0
        self.error: BaseException | None = None

    def __enter__(self) -> StepLog:
        self._flusher.start()
        self._pusher.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for host, stream in list(self._streams):
            self._end(host, stream)
        self._closed.set()
        self._pending.set()
        self._flusher.join()
        self._pushes.put(None)
        self._pusher.join()  # every batch pushed before the step's verdict is

    # ------------------------------------------------------------ readers

    def add_block(self, host: str, stream: str, data: bytes) -> None:
        """A block of a command's output as read (any size, cut anywhere); one reader thread per (host, stream)."""
        state = self._streams.get((host, stream))
        if state is None:
            state = self._streams[(host, stream)] = _Stream()
        buf = state.tail + data if state.tail else data  # the tail is below line_max: no quadratic growth
        end = buf.rfind(b"\n")
        lines, pieces = b"", []
        if end >= 0:
            lines, buf = buf[:end], buf[end + 1 :]
        while len(buf) > self.line_max:  # a line without a break yet: hand on what fills a line
            cut = _cut(buf, self.line_max)
            pieces.append(buf[:cut])
            buf = buf[cut:]
        state.tail = buf
        if end >= 0:
            self._hand_on(host, stream, state, lines)
        if pieces:
            self._hand_on(host, stream, state, b"\n".join(pieces), whole=False)

    def add(self, host: str, stream: str, chunk: str) -> None:
        """Text instead of bytes (tests, the benchmarks)."""
        self.add_block(host, stream, chunk.encode())

    def end_of(self, host: str) -> None:
        """The host's command ended: what it printed after its last line break is a line too."""
        for key in [k for k in self._streams if k[0] == host]:
            self._end(*key)

    def _end(self, host: str, stream: str) -> None:
        state = self._streams.get((host, stream))
        if state is not None and state.tail:
            tail, state.tail = state.tail, b""
            self._hand_on(host, stream, state, tail, broken=False)

    def system(self, text: str, host: str = "") -> None:
        with self._lock:
            self._queue_chunk(Chunk(host, Stream.SYSTEM, 0, timezone.now(), [text]))

    def output_of(self, host: str) -> str:
        return "\n".join(self.captured.get(host, ()))

    def room(self, wait: float = 0.0) -> bool:
        """Whether a reader may hand on more now (waiting up to ``wait`` seconds for the flusher to catch up)."""
        if self._room.is_set() or self.error is not None:
            return True
        return self._room.wait(wait) if wait else False

    def _hand_on(
        self, host: str, stream: str, state: _Stream, joined: bytes, *, whole: bool = True, broken: bool = True
    ) -> None:
        """The lines of one block, separated by line breaks, in order. ``whole``: lines, not pieces of a long
        line; ``broken``: each ended with a line break (not so the last output of a command)."""
        escaped: set[int] = set()
        raw_lines = None
        try:
            if b"\0" in joined:
                raise UnicodeDecodeError("utf-8", joined, 0, 1, "NUL")
            texts = joined.decode().split("\n")  # the usual case: one decode and one split per block
        except UnicodeDecodeError:
            raw_lines = joined.split(b"\n")
            texts, escaped = _texts(raw_lines)
        cont: set[int] = set()
        if whole and len(joined) > self.line_max and max(map(len, texts)) > self.line_max // 4:
            raw_lines = raw_lines or joined.split(b"\n")  # a line may be longer than a stored line: measure
            if max(map(len, raw_lines)) > self.line_max:
                texts, escaped, cont = self._capped(texts, raw_lines, escaped)
        if whole and broken and b"\r" in joined:  # CR LF line ends: the CR is part of the line break
            texts = [t[:-1] if t.endswith("\r") else t for t in texts]
        if state.continues:
            cont.add(0)
        if not whole:
            cont.update(range(1, len(texts)))
        state.continues = not whole
        if stream != Stream.SYSTEM:
            if state.in_key or b"PRIVATE KEY-----" in joined or any(s in joined for s in self._secret_bytes):
                texts = [self._mask(state, text) for text in texts]  # only a block where a key can be
            self._capture(host, texts)
        with self._lock:
            self._queue_chunk(Chunk(host, stream, 0, timezone.now(), texts, cont, escaped))

    def _capped(self, texts: list[str], raw_lines: list[bytes], escaped: set[int]):
        """Lines longer than ``line_max`` bytes cut into pieces: (texts, escaped indexes, continuation indexes)."""
        out: list[str] = []
        out_escaped: set[int] = set()
        cont: set[int] = set()
        for i, raw in enumerate(raw_lines):
            if len(raw) <= self.line_max:
                if i in escaped:
                    out_escaped.add(len(out))
                out.append(texts[i])
                continue
            first = True
            while raw:
                cut = _cut(raw, self.line_max) if len(raw) > self.line_max else len(raw)
                piece, raw = raw[:cut], raw[cut:]
                (text,), esc = _texts([piece])
                if esc:
                    out_escaped.add(len(out))
                if not first:
                    cont.add(len(out))
                out.append(text)
                first = False
        return out, out_escaped, cont

    def _mask(self, state: _Stream, text: str) -> str:
        if state.in_key:
            if KEY_BLOCK_END.search(text):
                state.in_key = False
            return MASK
        if KEY_BLOCK_BEGIN.search(text):
            state.in_key = not KEY_BLOCK_END.search(text)
            return MASK
        stripped = text.strip()
        if stripped and any(secret in stripped for secret in self.secrets):
            return MASK
        return text

    def _capture(self, host: str, texts: list[str]) -> None:
        size = self._captured_size.get(host, 0)
        if size < CAPTURE_LIMIT:
            self.captured.setdefault(host, []).extend(texts)
            self._captured_size[host] = size + sum(map(len, texts)) + len(texts)

    def _queue_chunk(self, chunk: Chunk) -> None:  # caller holds the lock
        chunk.first = self._next_seq
        self._next_seq += len(chunk.texts)
        self.lines += len(chunk.texts)
        self._queue.append(chunk)
        self._queued += len(chunk.texts)
        if self._queued >= QUEUE_MAX:
            self._room.clear()
        self._pending.set()

    # ------------------------------------------------------------ the flusher

    def _run(self) -> None:
        try:
            # SQLite has one writer at a time, and a writer that waits for it only looks again now and then (its
            # busy handler sleeps up to 100 ms between looks): back-to-back batches of a flood kept an abort, a
            # heartbeat or a sign-off out until its 30 s time-out. There the flusher rests after a batch for half
            # the time the batch took, at least ``interval`` and at most SQLITE_REST_S, which is longer than the
            # busy handler's longest sleep: a writer that waits through a long batch gets in during the rest.
            shares_lock = connection.vendor == "sqlite"
            due = 0.0  # when the next batch may start
            while not self._closed.is_set():
                self._pending.wait()
                early = due - time.monotonic()
                if early > 0:  # a flood: gather lines until a batch is due (or the log closes)
                    self._closed.wait(early)
                self._pending.clear()
                started = time.monotonic()
                if self._flush():  # more is waiting: the next batch when it is due
                    self._pending.set()
                if shares_lock:
                    took = time.monotonic() - started
                    due = started + took + max(self.interval, min(took / 2, SQLITE_REST_S))
                else:
                    due = started + self.interval  # a batch every interval, however long the last one took to write
            while self._flush():
                pass
        except BaseException as e:  # reported by execute_step
            self.error = e
            self._room.set()
            log.exception("log flusher of step %s failed", self.step_id)
        finally:
            connection.close()

    def _flush(self) -> bool:
        """Store and hand on one batch: the chunks waiting, up to ``BATCH_MAX`` lines. Whether more is waiting."""
        with self._lock:
            taken = lines = 0
            while taken < len(self._queue) and lines < BATCH_MAX:
                lines += len(self._queue[taken].texts)
                taken += 1
            batch, self._queue = self._queue[:taken], self._queue[taken:]
            self._queued -= lines
            if self._queued < QUEUE_MAX:
                self._room.set()
            more = bool(self._queue)
        if not batch:
            return more
        for _attempt in range(5):
            try:
                # Committed durably before it is pushed: a batch that a crash could still lose after viewers
                # were shown it would hand its sequence numbers to the next lines written (docs/ARCHITECTURE.md,
                # "Durability of log lines").
                with transaction.atomic():
                    insert_blocks(self.run_id, self.step_id, self.attempt, [chunk.block() for chunk in batch])
                self._pushes.put(batch)
                return more
            except IntegrityError:
                # Someone else (the reaper, a system line) took these numbers: renumber after the last one.
                with self._lock:
                    first = RunLogLine.objects.last_seq(self.run_id) + 1
                    for chunk in [*batch, *self._queue]:
                        chunk.first = first
                        first += len(chunk.texts)
                    self._next_seq = first
        raise RuntimeError("log lines could not be numbered")

    def _push_stored(self) -> None:
        """The pusher thread: each stored batch to the live viewers, in the order they were stored."""
        while (batch := self._pushes.get()) is not None:
            _push(self.run_id, self.step_id, batch)


def _push(run_id: int, step_id: int, chunks: list[Chunk]) -> None:
    """Tell live viewers (procedures.live.emitter); the lines are stored already, so a lost push loses nothing."""
    try:
        emitter.publish_chunks(run_id, step_id, chunks)
    except Exception:
        log.warning("push of run %s lines failed", run_id, exc_info=True)
