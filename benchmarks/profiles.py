"""Where the time goes: pyinstrument profiles of the run spine's parts, written next to the results.

``python -m benchmarks --profile`` adds this "profiles" figure to the embedded run (and profiles Daphne's
event loop, where the consumers forward frames, by running Daphne under pyinstrument). Profiles are text
files in ``benchmarks/results/profiles/``; the README quotes what dominates.

pyinstrument samples one thread, so each part is profiled on the thread that does it:
- ``reader``: what the executor's host thread does for the throughput step (``ssh.execute``: paramiko reads,
  ``StepLog.add_block``: splitting, decoding), here on the main thread; its flusher thread runs as usual meanwhile;
- ``flusher``: ``insert_blocks`` + ``emitter.publish_chunks`` of the same lines as the writer hands them on
  (blocks of about 64 KiB, batches of ``BATCH_MAX`` lines), with as many listeners in the run's group as the
  figures have viewers;
- ``viewer_read``: ``logstream.frame_after`` over the whole log, what a (re)connecting viewer costs.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _save(profiler, folder: Path, name: str) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    text = text.replace(f"{ROOT}/", "")  # paths relative to the checkout: the profile is read on other machines
    (folder / f"{name}.txt").write_text(text)
    return {"file": f"profiles/{name}.txt", "seconds": round(profiler.last_session.duration, 3)}


def profiles(ctx) -> dict:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import transaction
    from pyinstrument import Profiler

    from benchmarks.figures import _rows
    from benchmarks.harness import flood_command
    from procedures.execution import ssh
    from procedures.execution.logwriter import BATCH_MAX, Chunk, StepLog
    from procedures.live import emitter, logstream
    from procedures.models import RunLogLine
    from procedures.models.logs import insert_blocks

    folder = Path(ctx.out_dir) / "profiles"
    suffix = ctx.profile
    lines = ctx.sizes["throughput_lines"]
    cluster = ctx.world.clusters[-1]
    node = ctx.world.node1(cluster)
    out = {"lines": lines}

    # The reader: Fabric's connection, the portal's channel loop, StepLog.add (its flusher runs meanwhile).
    run, step = ctx.world.new_run(cluster, "true", key="profile-reader")
    step.attempt = 1
    conn = ssh.connect(ssh.Endpoint.of(node))
    try:
        with StepLog(step) as steplog:
            profiler = Profiler(interval=0.002)
            profiler.start()
            ssh.execute(
                conn, flood_command(lines), on_block=lambda stream, data: steplog.add_block("node", stream, data),
                on_pgid=lambda pgid: None, timeout_s=600, should_abort=lambda: False, room=steplog.room,
            )  # fmt: skip
            profiler.stop()
    finally:
        conn.close()
    out["reader"] = _save(profiler, folder, f"reader-{suffix}")
    out["reader"]["stored"] = RunLogLine.objects.filter(run_id=run.pk).count()

    # The flusher's work for the same lines, in the writer's batches: insert, then the push.
    run2, step2 = ctx.world.new_run(cluster, "true", key="profile-flush")
    rows = _rows(run2.pk, step2.pk, lines, 1)
    layer = get_channel_layer()
    group = emitter.run_group(run2.pk)
    members = [async_to_sync(layer.new_channel)() for _ in range(ctx.sizes["viewers"])]
    for name in members:  # as many listeners as the figures have viewers (nobody reads them here)
        async_to_sync(layer.group_add)(group, name)
    texts, at, block = [r[6] for r in rows], rows[0][7], 1285  # about a 64 KiB block of these lines
    profiler = Profiler(interval=0.002)
    profiler.start()
    for i in range(0, lines, BATCH_MAX):
        end = min(i + BATCH_MAX, lines)
        chunks = [Chunk("node", "out", j + 1, at, texts[j : min(j + block, end)]) for j in range(i, end, block)]
        with transaction.atomic():
            insert_blocks(run2.pk, step2.pk, 1, [chunk.block() for chunk in chunks])
        emitter.publish_chunks(run2.pk, step2.pk, chunks)
    profiler.stop()
    for name in members:
        async_to_sync(layer.group_discard)(group, name)
    out["flusher"] = _save(profiler, folder, f"flusher-{suffix}")
    out["flusher"]["channel_layer"] = type(layer).__name__

    # What a (re)connecting viewer costs the server: the whole log read back as frames.
    profiler = Profiler(interval=0.002)
    profiler.start()
    after, count = 0, 0
    while True:
        _text, after, n = logstream.frame_after(run2.pk, after)
        if not n:
            break
        count += n
    profiler.stop()
    out["viewer_read"] = _save(profiler, folder, f"viewer_read-{suffix}")
    out["viewer_read"]["lines"] = count
    return out
