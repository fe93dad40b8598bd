"""The demo loader: idempotent, never on a real installation, never promotes an existing account."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from clusters.models import AddressDomain, GroupmaxServer, Node

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PORTAL_DEMO = True  # as make demo sets it; tests/test_demo_mode.py covers a portal that is no demo


def test_loading_twice_duplicates_nothing(settings):
    call_command("load_demo")
    counts = (AddressDomain.objects.count(), GroupmaxServer.objects.count(), Node.objects.count())
    call_command("load_demo")
    assert (AddressDomain.objects.count(), GroupmaxServer.objects.count(), Node.objects.count()) == counts
    assert counts == (1, 4, 6)  # gmxcl03's server is stand-alone on node 1 until K.5 (2)
    assert get_user_model().objects.get(username="admin").is_superuser


def test_the_production_profile_refuses_the_demo_users(settings):
    settings.PROFILE = "production"
    with pytest.raises(CommandError, match="published passwords"):
        call_command("load_demo")
    assert not get_user_model().objects.filter(username="operator").exists()
    call_command("load_demo", production_demo=True)  # make demo-prod
    assert get_user_model().objects.filter(username="operator").exists()


def test_an_existing_account_named_admin_is_not_promoted_nor_given_the_demo_password():
    existing = get_user_model().objects.create_user("admin", password="someone's own")
    call_command("load_demo")
    existing.refresh_from_db()
    assert not existing.is_superuser and not existing.is_staff
    assert existing.check_password("someone's own")
