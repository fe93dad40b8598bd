"""The lab cluster: simulated HP-UX ServiceGuard + Groupmax nodes, reachable over real SSH (never production).

Names are imported on first use: the simulated commands import ``clusters.lab.sim`` in every node session and
should not pay for the rest.
"""

import importlib

_WHERE = {
    "Finding": "findings",
    "Lab": "lab",
    "LabError": "lab",
    "LabNode": "lab",
    "NodeStatus": "lab",
    "SshdMissing": "lab",
    "ClusterSpec": "spec",
    "FilesystemSpec": "spec",
    "LabSpec": "spec",
    "NodeSpec": "spec",
    "ServerSpec": "spec",
}
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"clusters.lab.{_WHERE[name]}"), name)
    raise AttributeError(name)
