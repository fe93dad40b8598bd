"""The inventory's JSON API (serializers, filters, viewsets), mounted under /api/ by ``portal.urls``."""
