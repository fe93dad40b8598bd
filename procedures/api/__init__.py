"""The JSON API of runs, steps, logs and host keys, mounted under /api/ by ``portal.urls``.

Every endpoint calls the same service function as the page (``procedures.services``, ``procedures.hostkeys``);
none of them decides who may act.
"""
