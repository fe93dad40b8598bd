"""The base of the JSON API: token authentication, the one error handler, pagination and the schema.

The endpoints live beside what they serve (``clusters.api`` for the inventory, ``procedures.api`` for runs,
steps, logs and reports); ``portal.urls`` mounts them all under /api/ (docs/API.md).
"""
