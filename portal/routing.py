"""Websocket routes of every app, gathered in one list for portal.asgi."""

from procedures.live.routing import websocket_urlpatterns as procedure_routes

websocket_urlpatterns: list = [*procedure_routes]
