from django.urls import re_path

from procedures.live.consumers import HomeConsumer, RunConsumer

websocket_urlpatterns = [
    re_path(r"^ws/runs/(?P<run_id>\d+)/$", RunConsumer.as_asgi()),
    re_path(r"^ws/home/$", HomeConsumer.as_asgi()),
]
