"""Websocket routes of every app, gathered in one list for portal.asgi."""

websocket_urlpatterns: list = []
