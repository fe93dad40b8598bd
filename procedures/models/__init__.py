from procedures.models.evidence import ConsoleScreenshot
from procedures.models.logs import RunLogLine
from procedures.models.runs import ClusterLock, ProcedureRun, RunEvent, StepHostResult, StepRun
from procedures.models.settings import SiteCommandSettings

__all__ = [
    "ClusterLock",
    "ConsoleScreenshot",
    "ProcedureRun",
    "RunEvent",
    "RunLogLine",
    "SiteCommandSettings",
    "StepHostResult",
    "StepRun",
]
