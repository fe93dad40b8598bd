"""The Celery task of the production profile: a worker process runs one step, exactly as the embedded pool does."""

from celery import shared_task

from procedures.execution import engine


@shared_task(name="procedures.execute_step", acks_late=True, ignore_result=True)
def execute_step_task(step_id: int, attempt: int) -> None:
    """Late acknowledgement: a worker killed mid-step leaves the message for redelivery, and the step's claim
    in the database makes that redelivery run nothing twice."""
    engine.execute_step(step_id, attempt=attempt)
