"""One profile's benchmark process: Django set up on the bench database, Daphne (+ Celery) started, figures run.

``python -m benchmarks`` starts one of these per profile with the environment of that profile (a temporary
SQLite file, or a fresh PostgreSQL database with Redis), so each profile's settings are the portal's own.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument("--profile-name", required=True, choices=("embedded", "production"))
    parser.add_argument("--lab", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--figures", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--out-dir", required=True, help="where profiles go (with --profile)")
    parser.add_argument("--profile", action="store_true", help="run Daphne under pyinstrument")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.harness import Portal, SshClient
    from benchmarks.world import World
    from clusters.lab import Lab

    folder = Path(args.folder)
    sizes = json.loads(args.sizes)
    results: dict = {"profile": args.profile_name}
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    results["setup_migrate_s"] = round(time.perf_counter() - t, 2)
    world = World.build(Lab(args.lab))
    ssh = SshClient(world.lab, folder)
    profile_to = None
    if args.profile:
        (Path(args.out_dir) / "profiles").mkdir(parents=True, exist_ok=True)
        profile_to = Path(args.out_dir) / "profiles" / f"daphne-{args.profile_name}.txt"
    with Portal(folder, celery=args.profile_name == "production", profile_to=profile_to) as portal:
        ctx = Context(args.profile_name, sizes, world, portal, ssh, folder)
        ctx.out_dir = args.out_dir
        from benchmarks.figures import FIGURES
        from benchmarks.profiles import profiles

        figures = {**FIGURES, "profiles": profiles}

        for name in args.figures.split(","):
            started = time.perf_counter()
            load_before = [round(x, 2) for x in os.getloadavg()]
            print(f"[bench {args.profile_name}] {name} …", file=sys.stderr, flush=True)
            try:
                results[name] = figures[name](ctx)
            except Exception as e:
                traceback.print_exc()
                results[name] = {"error": f"{e.__class__.__name__}: {e}"}
            results[name]["figure_s"] = round(time.perf_counter() - started, 2)
            results[name]["load_average"] = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
            Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
