"""The executor: runs one step of a run over SSH (Fabric connection, pinned host keys) and stores its output.

``execute_step(step_id)`` is what every dispatch mode calls (thread pool, Celery task, ``run_step``
command). It claims the step in the database (so nothing runs twice), heartbeats while it works, runs the
step's command on each of its hosts in parallel (fan-out: a ``StepHostResult`` per host), streams output
in blocks into ``RunLogLine`` through ``StepLog`` (run-wide ``seq``, batched raw inserts on a flusher
thread), kills the remote process group on time-out or abort and verifies it is gone, then hands the
verdict to ``services.finish_step``.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from clusters.models import GroupmaxServer, Node
from procedures import exceptions as exc
from procedures import hostkeys, services
from procedures.choices import PACKAGE_VIEW_HOST, HostState, Stream
from procedures.execution import ssh
from procedures.execution.logwriter import StepLog
from procedures.models import StepHostResult, StepRun
from procedures.plan import HostRef, SuccessRule, host_message
from procedures.texts import message as stored

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- heartbeat and abort polling


class Heartbeat:
    """Refreshes the step's heartbeat and watches for an abort request (or for losing the step).

    A worker that cannot write its heartbeat (the database is gone) for ``PORTAL_STEP_GIVE_UP_S`` (half the
    stale limit unless set) stops its command and gives the step up (``gave_up``): past the stale limit the
    reaper interrupts the step and a person may retry it, so a command still running then would run twice.
    """

    def __init__(self, step: StepRun, worker: str):
        self.step_id, self.attempt, self.worker = step.pk, step.attempt, worker
        self.every = getattr(settings, "PORTAL_STEP_HEARTBEAT_S", 5)
        stale = getattr(settings, "PORTAL_STEP_STALE_S", 30)
        self.give_up_after = getattr(settings, "PORTAL_STEP_GIVE_UP_S", None) or max(stale / 2, 2 * self.every)
        self.poll = min(0.5, self.every)
        self.abort = threading.Event()
        self.lost = threading.Event()
        self.gave_up = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{step.pk}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = 0.0
        clock = 0.0
        written = time.monotonic()  # the claim wrote the first heartbeat
        try:
            while not self._stop.wait(self.poll):
                clock += self.poll
                try:
                    if clock - last >= self.every:
                        last = clock
                        flags = services.heartbeat(self.step_id, worker=self.worker, attempt=self.attempt)
                        written = time.monotonic()
                        if flags is None:
                            self.lost.set()
                            self.abort.set()
                            continue
                    else:
                        flags = services.abort_flags(self.step_id)
                    if flags["abort"]:
                        self.abort.set()
                except Exception:  # a database hiccup must not kill the heartbeat; a long outage stops the step
                    log.exception("heartbeat of step %s", self.step_id)
                    if time.monotonic() - written >= self.give_up_after:
                        self.gave_up.set()
                        self.abort.set()
                        return
        finally:
            connection.close()


# ---------------------------------------------------------------- hosts


@dataclass
class HostRun:
    ref: HostRef
    result_id: int
    endpoint: ssh.Endpoint | None = None
    state: str = HostState.PENDING
    message: str = ""
    details: dict = field(default_factory=dict)


def _target_of(ref: HostRef):
    if ref.server_id:
        return GroupmaxServer.objects.select_related("credential").get(pk=ref.server_id)
    return Node.objects.select_related("credential").get(pk=ref.node_id)


def _owner_of_package(ref: HostRef, steplog: StepLog) -> Node:
    """Ask ``cmviewcl`` on the candidates which node runs the package now: K.5 says "the node that runs the
    package" without naming it, and after a switch that is node 2."""
    candidates = list(Node.objects.select_related("credential").filter(pk__in=ref.candidate_node_ids))
    candidates.sort(key=lambda n: ref.candidate_node_ids.index(n.pk))
    names = {n.host_name: n for n in candidates}
    errors = []
    for node in candidates:
        try:
            conn = ssh.connect(ssh.Endpoint.of(node))
        except exc.PortalError as e:
            if isinstance(e, exc.HostKeyChanged):
                hostkeys.record_change(node, e.params["seen_key"])  # asked where the package runs: same rule
            errors.append(_host_as_label(e))  # kept as the error, not as its text in this process's language
            continue
        try:
            result = conn.run(
                f"cmviewcl -p {shlex.quote(ref.package)}", hide=True, warn=True, in_stream=False, timeout=60
            )
        finally:
            conn.close()
        # Kept in the run's log under a host label of its own (not the step's output, which decides success):
        # the domain report shows from it which node ran the package when a run last looked.
        view = result.stdout if result.stdout.endswith("\n") else result.stdout + "\n"
        steplog.add(PACKAGE_VIEW_HOST.format(node=node.host_name), Stream.STDOUT, view)
        owner = parse_package_owner(result.stdout, ref.package)
        if owner in names:
            steplog.system(stored(gettext_noop("Package {package} runs on {node}."), package=ref.package, node=owner))
            return names[owner]
    if errors:
        raise exc.PackageOwnerUnreachable(candidates=", ".join(names), package=ref.package, errors=errors)
    raise exc.PackageOwnerUnknown(candidates=", ".join(names), package=ref.package)


def parse_package_owner(text: str, package: str) -> str:
    """The node column of the package's line in ``cmviewcl`` output when the package is up, else ""."""
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == package and words[1].lower() == "up":
            return words[-1]
    return ""


def succeeded(rule: SuccessRule, exit_code: int | None, output: str) -> bool:
    if rule.accept_output and re.search(rule.accept_output, output, re.MULTILINE):
        return True
    if exit_code is None or exit_code not in rule.exit_codes:
        return False
    return not rule.expect_output or bool(re.search(rule.expect_output, output, re.MULTILINE))


def _host_as_label(error: exc.PortalError) -> exc.PortalError:
    """The host ``error`` names as a host label message, so that it reads in each reader's language."""
    if isinstance(error.params.get("host"), str):
        error.params = {**error.params, "host": host_message(error.params["host"])}
    return error


def _refusal(error: exc.PortalError) -> str:
    """A refusal as stored: its message id and parameters, the host it names as a host label message."""
    return stored("{error}", error=_host_as_label(error))


def _run_on_host(step: StepRun, host: HostRun, steplog: StepLog, beat: Heartbeat) -> None:
    ref, label = host.ref, host.ref.label
    try:
        try:
            target = _owner_of_package(ref, steplog) if ref.resolve == "package_owner" else _target_of(ref)
            host.endpoint = ssh.Endpoint.of(target, label=label)
            services.host_update(
                host.result_id,
                host_name=getattr(target, "host_name", "") or ref.host_name,
                node=target if isinstance(target, Node) else None,
                server=target if isinstance(target, GroupmaxServer) else None,
                state=HostState.RUNNING,
                started_at=timezone.now(),
            )
            steplog.system(
                stored(
                    gettext_noop("Connecting to {host} ({address}:{port})."),
                    host=host_message(label),
                    address=host.endpoint.address,
                    port=host.endpoint.port,
                ),
                host=label,
            )
            hostkeys.refuse_changed_hosts([ref])  # changed since the step started: still nothing is sent
            conn = ssh.connect(host.endpoint)
        except exc.HostKeyChanged as e:
            hostkeys.record_change(target, e.params["seen_key"])  # every step on it stops until two people pin it
            host.state, host.message = HostState.HOST_KEY, _refusal(e)
            return
        except (exc.HostKeyUnknown, exc.HostKeyChangeOpen) as e:
            host.state, host.message = HostState.HOST_KEY, _refusal(e)
            return
        except (exc.ConnectionFailed, exc.NoCredential, exc.PackageOwnerUnknown) as e:
            host.state, host.message = HostState.UNREACHABLE, _refusal(e)
            return
        try:
            on_block = lambda stream, data: steplog.add_block(label, stream, data)  # noqa: E731
            outcome = ssh.execute(
                conn,
                ref.command,
                on_block=on_block,
                on_pgid=lambda pgid: services.host_update(host.result_id, pgid=pgid),
                timeout_s=step.planned.timeout_s,
                should_abort=beat.abort.is_set,
                room=steplog.room,
            )
            if outcome.timed_out or outcome.aborted:
                why = (
                    stored(gettext_noop("time-out after {s} s"), s=step.planned.timeout_s)
                    if outcome.timed_out
                    else stored(gettext_noop("abort"))
                )
                steplog.system(
                    stored(
                        gettext_noop("Stopping the remote process group {pgid} ({why})."), pgid=outcome.pgid, why=why
                    ),
                    host=label,
                )
                killed = _kill(host, outcome.pgid)
                ssh.drain(outcome, on_block)
                steplog.end_of(label)
                steplog.system(killed, host=label)
                host.details["abort_outcome"] = killed
                host.state = HostState.TIMED_OUT if outcome.timed_out else HostState.ABORTED
                host.message = stored("{why}: {outcome}", why=why, outcome=killed)
                return
            host.details["exit_code"] = outcome.exit_code
            steplog.end_of(label)  # a last line without a line break counts for the success rule too
            ok = succeeded(step.planned.success, outcome.exit_code, steplog.output_of(label))
            host.state = HostState.SUCCEEDED if ok else HostState.FAILED
            host.message = stored(gettext_noop("exit code {code}"), code=outcome.exit_code)
        except exc.ConnectionFailed as e:
            host.state, host.message = HostState.UNREACHABLE, _refusal(e)
        finally:
            conn.close()
    except Exception as e:  # anything unexpected: the host failed, the reason is shown
        log.exception("step %s on %s", step.pk, label)
        host.state, host.message = HostState.FAILED, f"{e.__class__.__name__}: {e}"
    finally:
        steplog.system(
            stored("{state}: {outcome}", state=HostState(host.state).label, outcome=host.message), host=label
        )
        services.host_update(
            host.result_id,
            state=host.state,
            message=host.message,
            exit_code=host.details.get("exit_code"),
            abort_outcome=host.details.get("abort_outcome", ""),
            finished_at=timezone.now(),
        )
        connection.close()


def _kill(host: HostRun, pgid: int | None) -> str:
    """TERM, then KILL after the grace, over a second connection; verify and say what happened."""
    if not pgid:
        return stored(gettext_noop("No process group id was reported; the remote command may still run."))
    try:
        said = ssh.kill_process_group(host.endpoint, pgid)
    except exc.PortalError as e:
        return stored(gettext_noop("Could not reach the host to stop process group {pgid}: {e}"), pgid=pgid, e=e)
    outcome = {
        "TERMINATED": gettext_noop("Process group {pgid} ended after SIGTERM; none of its processes is left."),
        "KILLED": gettext_noop(
            "Process group {pgid} ignored SIGTERM and was killed (SIGKILL); none of its processes is left."
        ),
        "ALIVE": gettext_noop("Process group {pgid} is STILL RUNNING after SIGKILL."),
    }.get(said)
    if outcome is None:
        return stored(gettext_noop("Process group {pgid}: unexpected answer {said}."), pgid=pgid, said=said)
    return stored(outcome, pgid=pgid)


# ---------------------------------------------------------------- the step


def execute_step(step_id: int, *, attempt: int | None = None, worker: str | None = None) -> StepRun | None:
    """Run one claimed step to its verdict. Returns None when the step was not this worker's to run."""
    worker = worker or worker_id()
    step = services.claim_step(step_id, attempt=attempt, worker=worker)
    if step is None:
        return None
    step = StepRun.objects.select_related("run").get(pk=step.pk)
    planned = step.planned
    hosts = []
    for ref in planned.hosts:
        row, _created = StepHostResult.objects.get_or_create(
            step=step,
            attempt=step.attempt,
            host_label=ref.label,
            defaults={"host_name": ref.host_name, "node_id": ref.node_id, "server_id": ref.server_id},
        )
        hosts.append(HostRun(ref=ref, result_id=row.pk))
    secrets = _secrets_of(planned.hosts)
    ok, message = False, ""
    try:
        with Heartbeat(step, worker) as beat, StepLog(step, secrets=secrets) as steplog:
            steplog.system(
                stored(
                    gettext_noop("Step {n}, attempt {a}: {title}"),
                    n=step.position,
                    a=step.attempt,
                    title=step.planned.title,
                )
            )
            if not hosts:
                steplog.system(stored(gettext_noop("This step names no host.")))
            with ThreadPoolExecutor(max_workers=max(1, len(hosts)), thread_name_prefix=f"step{step.pk}") as pool:
                for future in [pool.submit(_run_on_host, step, h, steplog, beat) for h in hosts]:
                    future.result()
            ok = bool(hosts) and all(h.state == HostState.SUCCEEDED for h in hosts)
            message = stored(
                "{hosts}",
                hosts=[stored("{host}: {outcome}", host=host_message(h.ref.label), outcome=h.message) for h in hosts],
            )
            if beat.gave_up.is_set():
                gave_up = stored(
                    gettext_noop(
                        "This worker could not write its heartbeat for {s} s, so it stopped the command and gave the "
                        "step up; check the hosts before a retry. {hosts}"
                    ),
                    s=int(beat.give_up_after),
                    hosts=message,
                )
                ok, message = False, gave_up
                steplog.system(message)
            elif beat.lost.is_set():
                steplog.system(
                    stored(
                        gettext_noop("This worker lost the step (reaped or taken over); its verdict is not recorded.")
                    )
                )
        if steplog.error is not None:
            ok, message = False, stored(gettext_noop("Log lines could not be stored: {e}"), e=steplog.error)
    except Exception as e:
        log.exception("step %s", step_id)
        ok, message = False, f"{e.__class__.__name__}: {e}"
    try:
        return services.finish_step(step.pk, worker=worker, attempt=step.attempt, ok=ok, message=message)
    except Exception:  # the database is still gone: the reaper interrupts the step once it is back
        log.exception("step %s: the verdict could not be recorded", step_id)
        return None


def _secrets_of(refs) -> frozenset[str]:
    paths = set()
    for ref in refs:
        try:
            target = _target_of(ref) if not ref.resolve else None
        except (Node.DoesNotExist, GroupmaxServer.DoesNotExist):
            continue
        if target is not None and target.credential_id:
            paths.add(target.credential.key_path)
        for node in Node.objects.select_related("credential").filter(pk__in=ref.candidate_node_ids):
            if node.credential_id:
                paths.add(node.credential.key_path)
    secrets = set()
    for path in paths:
        secrets |= ssh.private_key_lines(path)
    return frozenset(secrets)
