"""Mark steps whose worker stopped heartbeating ``interrupted`` (once, or in a loop with --loop)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection

from procedures import services


class Command(BaseCommand):
    help = "Mark running steps with a stale heartbeat interrupted; never re-runs anything."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep reaping every --interval seconds")
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--stale-after", type=float, default=None, help="seconds without a heartbeat")

    def handle(self, *args, loop, interval, stale_after, **options):
        stale = timedelta(seconds=stale_after) if stale_after is not None else None
        while True:
            for step_id in services.reap_stale_steps(stale):
                self.stdout.write(f"step {step_id}: interrupted")
            if not loop:
                return
            connection.close()
            time.sleep(interval)
