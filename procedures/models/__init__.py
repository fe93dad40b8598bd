from procedures.models.commands import SiteCommands
from procedures.models.evidence import ConsoleScreenshot
from procedures.models.logs import RunLogLine
from procedures.models.runs import ClusterLock, ProcedureRun, RunEvent, StepHostResult, StepRun

__all__ = [
    "ClusterLock",
    "ConsoleScreenshot",
    "ProcedureRun",
    "RunEvent",
    "RunLogLine",
    "SiteCommands",
    "StepHostResult",
    "StepRun",
]
