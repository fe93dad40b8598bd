from procedures.models.commands import SiteCommands
from procedures.models.evidence import ConsoleScreenshot
from procedures.models.logs import RunLogLine
from procedures.models.reports import DutyRecord, ReportExport
from procedures.models.runs import ProcedureRun, RunEvent, ServerLock, StepHostResult, StepRun

__all__ = [
    "ConsoleScreenshot",
    "DutyRecord",
    "ProcedureRun",
    "ReportExport",
    "RunEvent",
    "RunLogLine",
    "ServerLock",
    "SiteCommands",
    "StepHostResult",
    "StepRun",
]
