"""The suite runs on servers it started itself, in its own folder, unless the user named servers of theirs."""

import os
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.servers import private_servers

pytestmark = [pytest.mark.prod, pytest.mark.django_db]


def _inside(path: str, folder: Path) -> bool:
    return folder.resolve() in Path(path).resolve().parents


def test_postgresql_is_the_sessions_own_unless_database_url_was_given(request):
    servers = private_servers(request.config)
    if servers is None or "DATABASE_URL" not in servers.env:
        assert os.environ["DATABASE_URL"], "the user's DATABASE_URL"
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (data_directory,) = cursor.fetchone()
    assert _inside(data_directory, servers.folder), data_directory
    assert settings.DATABASES["default"]["PORT"] not in (5432, "5432")
    assert os.environ["DATABASE_URL"] == servers.env["DATABASE_URL"]


def test_redis_is_the_sessions_own_unless_redis_url_was_given(request):
    servers = private_servers(request.config)
    if servers is None or "REDIS_URL" not in servers.env:
        assert settings.REDIS_URL, "the user's REDIS_URL"
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert _inside(client.config_get("dir")["dir"] + "/x", servers.folder)
    assert client.connection_pool.connection_kwargs["port"] != 6379
    assert settings.REDIS_URL == settings.CELERY_BROKER_URL == servers.env["REDIS_URL"]
