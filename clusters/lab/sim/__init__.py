"""The simulated HP-UX, LVM, MC/ServiceGuard and Groupmax commands of a lab node, one module per product.

One program answers to every command name (``bin/sim/<name>`` and the product files under ``/opt`` are links
to it); ``main`` dispatches on the name it was called by. It runs inside the node's session (see enter.py),
so ``/var/opt/GroupMail`` here is whatever that path is on the node: its shared disk when mounted, else its
own disk. Standard library only.

``core`` is the bottom (registry, context, output, shared paths and disk helpers); ``lvm``, ``sd``,
``groupmax``, ``serviceguard`` and ``rehearsal`` each import only ``core``; ``program`` imports them all.
Re-exported here: what the lab's builder, its findings and the node shim use.
"""

from clusters.lab.sim.core import GM_DIR, GMSETUP_CONF, WRAPPED, XODRC
from clusters.lab.sim.groupmax import master_gmpublicinfo, records_of, resiobj, write_database_files
from clusters.lab.sim.program import PATH_COMMANDS, main
from clusters.lab.sim.sd import PRODUCTS, install_product

__all__ = [
    "GMSETUP_CONF",
    "GM_DIR",
    "PATH_COMMANDS",
    "PRODUCTS",
    "WRAPPED",
    "XODRC",
    "install_product",
    "main",
    "master_gmpublicinfo",
    "records_of",
    "resiobj",
    "write_database_files",
]
