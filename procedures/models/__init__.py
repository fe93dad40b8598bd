from procedures.models.commands import SiteCommands
from procedures.models.evidence import ConsoleScreenshot
from procedures.models.logs import RunLogLine
from procedures.models.reports import DutyRecord, ReportExport
from procedures.models.runs import ProcedureRun, RunEvent, ServerLock, StepHostResult, StepRun
from procedures.models.signoff import RehearsalRule, Signature, SignoffQuorum

__all__ = [
    "ConsoleScreenshot",
    "DutyRecord",
    "ProcedureRun",
    "RehearsalRule",
    "ReportExport",
    "RunEvent",
    "RunLogLine",
    "ServerLock",
    "Signature",
    "SignoffQuorum",
    "SiteCommands",
    "StepHostResult",
    "StepRun",
]
