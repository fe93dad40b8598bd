from django.urls import re_path

from procedures.live.consumers import RunConsumer

websocket_urlpatterns = [
    re_path(r"^ws/runs/(?P<run_id>\d+)/$", RunConsumer.as_asgi()),
]
