"""The log writer of a running step: numbers its output lines and stores them, then tells live viewers.

Readers (one thread per host and stream) hand over text; one flusher thread writes batches on its own
database connection, so lines survive whatever happens to the step's state afterwards.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from procedures.choices import Stream
from procedures.live import emitter
from procedures.models import RunLogLine, StepRun
from procedures.models.logs import store_lines

log = logging.getLogger(__name__)
KEY_BLOCK_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
KEY_BLOCK_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")
MASK = "[masked: private key material]"
CAPTURE_LIMIT = 4 * 1024 * 1024  # output kept in memory per host to match the success rule


class StepLog:
    """Numbers lines (run-wide ``seq``) as reader threads hand over text; one flusher thread stores them.

    Readers never touch the database: ``add()`` only splits on newlines per (host, stream), masks private
    key material and queues rows; the flusher writes a batch with one ``executemany`` (or ``COPY``) on its
    own connection, so lines survive whatever happens to the step's state afterwards. A line that arrives
    after a quiet spell is written and pushed at once (a slow command's lines reach the screen without
    waiting for a batch); under a flood the flusher writes at most one batch every ``interval``
    (``PORTAL_LOG_FLUSH_S``, 20 ms: at 100 ms a line every 100 ms waited most of the interval, see
    benchmarks/README.md, latency).
    """

    def __init__(self, step: StepRun, *, interval: float | None = None, secrets: frozenset[str] = frozenset()):
        self.run_id, self.step_id, self.attempt = step.run_id, step.pk, step.attempt
        self.interval = interval if interval is not None else getattr(settings, "PORTAL_LOG_FLUSH_S", 0.02)
        self.secrets = secrets
        self._next_seq = RunLogLine.objects.last_seq(self.run_id) + 1
        self._tails: dict[tuple[str, str], str] = {}
        self._in_key: dict[tuple[str, str], bool] = {}
        self._queue: list[tuple] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._pending = threading.Event()  # set when the queue gains a line
        self._flusher = threading.Thread(target=self._run, name=f"steplog-{step.pk}", daemon=True)
        self.captured: dict[str, list[str]] = {}
        self._captured_size: dict[str, int] = {}
        self.lines = 0
        self.error: BaseException | None = None

    def __enter__(self) -> StepLog:
        self._flusher.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for (host, stream), tail in list(self._tails.items()):
                if tail:
                    self._add_line(host, stream, tail)
            self._tails.clear()
        self._closed.set()
        self._pending.set()
        self._flusher.join()

    def add(self, host: str, stream: str, chunk: str) -> None:
        with self._lock:
            key = (host, stream)
            *lines, self._tails[key] = (self._tails.get(key, "") + chunk).split("\n")
            at = timezone.now()  # the lines of one chunk arrived together
            for text in lines:
                self._add_line(host, stream, text.rstrip("\r"), at)

    def system(self, text: str, host: str = "") -> None:
        with self._lock:
            self._add_line(host, Stream.SYSTEM, text)

    def output_of(self, host: str) -> str:
        return "\n".join(self.captured.get(host, ()))

    def _mask(self, key: tuple[str, str], text: str) -> str:
        if self._in_key.get(key):
            if KEY_BLOCK_END.search(text):
                self._in_key[key] = False
            return MASK
        if KEY_BLOCK_BEGIN.search(text):
            self._in_key[key] = not KEY_BLOCK_END.search(text)
            return MASK
        stripped = text.strip()
        if stripped and any(secret in stripped for secret in self.secrets):
            return MASK
        return text

    def _add_line(self, host: str, stream: str, text: str, at=None) -> None:  # caller holds the lock
        if stream != Stream.SYSTEM:
            text = self._mask((host, stream), text)
            if self._captured_size.get(host, 0) < CAPTURE_LIMIT:
                self.captured.setdefault(host, []).append(text)
                self._captured_size[host] = self._captured_size.get(host, 0) + len(text) + 1
        self._queue.append(
            [self.run_id, self.step_id, self.attempt, host, self._next_seq, stream, text, at or timezone.now()]
        )
        self._next_seq += 1
        self.lines += 1
        self._pending.set()

    def _run(self) -> None:
        try:
            last = 0.0
            while not self._closed.is_set():
                self._pending.wait()
                early = self.interval - (time.monotonic() - last)
                if early > 0:  # a flood: gather lines until a batch is due (or the log closes)
                    self._closed.wait(early)
                self._pending.clear()
                self._flush()
                last = time.monotonic()
            self._flush()
        except BaseException as e:  # reported by execute_step
            self.error = e
            log.exception("log flusher of step %s failed", self.step_id)
        finally:
            connection.close()

    def _flush(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        if not batch:
            return
        for _attempt in range(5):
            try:
                rows = [tuple(row) for row in batch]
                with transaction.atomic():
                    store_lines(rows)
                _push_lines(self.run_id, rows)
                return
            except IntegrityError:
                # Someone else (the reaper, a system line) took these numbers: renumber after the last one.
                with self._lock:
                    first = RunLogLine.objects.last_seq(self.run_id) + 1
                    for offset, row in enumerate(batch):
                        row[4] = first + offset
                    for offset, row in enumerate(self._queue):
                        row[4] = first + len(batch) + offset
                    self._next_seq = first + len(batch) + len(self._queue)
        raise RuntimeError("log lines could not be numbered")


def _push_lines(run_id: int, rows: list[tuple]) -> None:
    """Tell live viewers (procedures.live.emitter); the lines are stored already, so a lost push loses nothing."""
    try:
        emitter.publish_lines(run_id, rows)
    except Exception:
        log.warning("push of run %s lines failed", run_id, exc_info=True)
