"""The two profiles: the embedded default needs nothing set; the production profile passes check --deploy."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_profile_passes_djangos_deployment_checks(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "PORTAL_ALLOWED_HOSTS": "portal.example.co.jp",
            "PORTAL_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_makes_its_own_secret_key_and_keeps_it(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY, settings.PROFILE)"
    first = manage("shell", "-c", code, env={"PORTAL_VAR_DIR": str(tmp_path)})
    second = manage("shell", "-c", code, env={"PORTAL_VAR_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    key, profile = first.stdout.splitlines()[-1].split()
    assert second.stdout.splitlines()[-1] == f"{key} {profile}" and profile == "embedded"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_redis_channel_layer_reads_longer_than_it_blocks_waiting_for_a_message(tmp_path):
    """redis-py 8's default read time-out (5 s) equals channels-redis' blocking pop: a late reply raised out of
    a consumer and Daphne closed the viewer's socket with 1011."""
    code = (
        "import json; from django.conf import settings; from channels_redis.core import RedisChannelLayer;"
        "c = settings.CHANNEL_LAYERS['default'];"
        "print(json.dumps([c['BACKEND'], c['CONFIG']['hosts'], RedisChannelLayer.brpop_timeout]))"
    )
    env = {"PORTAL_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/0", "PORTAL_SECRET_KEY": "x" * 50}
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    backend, hosts, blocking = json.loads(result.stdout.splitlines()[-1])
    assert backend == "channels_redis.core.RedisChannelLayer"
    assert [h["address"] for h in hosts] == ["redis://127.0.0.1:6379/0"]
    assert all(h["socket_timeout"] > blocking for h in hosts)


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_log_in(client, operator, settings):
    settings.LANGUAGE_CODE = "ja"  # the default language, pinned: the browser below asks for nothing else
    for _ in range(5):
        client.post(reverse("login"), {"username": "operator", "password": "wrong"}, REMOTE_ADDR="127.0.0.9")
    response = client.post(
        reverse("login"),
        {"username": "operator", "password": "correct-horse-battery"},
        REMOTE_ADDR="127.0.0.9",
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>ログインがロックされました</h1>" in page and "Log-in locked" not in page
