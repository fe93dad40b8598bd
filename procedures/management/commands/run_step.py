"""Execute one claimed step in this process (a worker, or a test that kills it with SIGKILL)."""

from django.core.management.base import BaseCommand

from procedures.execution import engine


class Command(BaseCommand):
    help = "Execute one step of a run over SSH; does nothing unless the step is running and unclaimed."

    def add_arguments(self, parser):
        parser.add_argument("step_id", type=int)
        parser.add_argument("--attempt", type=int, default=None)

    def handle(self, *args, step_id, attempt, **options):
        step = engine.execute_step(step_id, attempt=attempt)
        if step is None:
            self.stderr.write(f"step {step_id} is not this worker's to run (not running, or already claimed)")
            return
        self.stdout.write(f"step {step_id}: {step.state}")
