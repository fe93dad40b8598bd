"""Commands the real nodes lack, for rehearsing what the portal does with a hung, slow or flooding command."""

import sys
import time

from clusters.lab.sim.core import Ctx, command, out


@command("lab-hang")
def lab_hang(ctx: Ctx, args):
    while True:
        time.sleep(3600)


@command("lab-slow")
def lab_slow(ctx: Ctx, args):
    seconds = float(args[0]) if args else 5.0
    time.sleep(seconds)
    out(f"lab-slow: done after {args[0] if args else '5'} seconds")
    return 0


@command("lab-flood")
def lab_flood(ctx: Ctx, args):
    count = int(args[0]) if args else 100_000
    chunk = 10_000
    for start in range(1, count + 1, chunk):
        sys.stdout.write("".join(f"line {n:06d} of {count}\n" for n in range(start, min(start + chunk, count + 1))))
    sys.stdout.flush()
    return 0
