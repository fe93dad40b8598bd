"""One profile's benchmark process: Django set up on the bench database, Daphne (+ Celery) started, figures run.

``python -m benchmarks`` starts one of these per profile with the environment of that profile (a temporary
SQLite file, or a fresh PostgreSQL database with Redis), so each profile's settings are the portal's own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path


class Context:
    def __init__(self, profile, sizes, world, portal, ssh, folder):
        self.profile, self.sizes, self.world, self.portal, self.ssh, self.folder = (
            profile, sizes, world, portal, ssh, folder,
        )  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", required=True, choices=("embedded", "production"))
    parser.add_argument("--lab", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--figures", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.harness import Portal, SshClient
    from benchmarks.world import World
    from clusters.lab import Lab

    folder = Path(args.folder)
    sizes = json.loads(args.sizes)
    results: dict = {"profile": args.profile}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    results["setup_migrate_s"] = round(time.perf_counter() - t, 2)
    world = World.build(Lab(args.lab))
    ssh = SshClient(world.lab, folder)
    with Portal(folder, celery=args.profile == "production") as portal:
        ctx = Context(args.profile, sizes, world, portal, ssh, folder)
        from benchmarks.figures import FIGURES

        for name in args.figures.split(","):
            started = time.perf_counter()
            print(f"[bench {args.profile}] {name} …", file=sys.stderr, flush=True)
            try:
                results[name] = FIGURES[name](ctx)
            except Exception as e:
                traceback.print_exc()
                results[name] = {"error": f"{e.__class__.__name__}: {e}"}
            results[name]["figure_s"] = round(time.perf_counter() - started, 2)
            Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
