"""``manage.py load_demo``: the demo inventory (a lab site) and demo users with published passwords.

The passwords are in the README, so the command runs only in a demonstration (``PORTAL_DEMO=true``, which
``make demo`` and ``make demo-prod`` set), and on the production profile only when also told it is a
demonstration of that profile (``--production-demo``): a real installation must never get these accounts.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clusters.demo import DEMO_USERS, load_demo_inventory


class Command(BaseCommand):
    help = "Load the demo inventory and demo users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--production-demo",
            action="store_true",
            help="Allow it on the production profile (a local demonstration of that profile only).",
        )

    def handle(self, *args, production_demo=False, **options):
        if not getattr(settings, "PORTAL_DEMO", False):
            raise CommandError(
                "This portal is not a demonstration: the demo users have published passwords. "
                "Set PORTAL_DEMO=true only for a demonstration (make demo, make demo-prod)."
            )
        if settings.PROFILE == "production" and not production_demo:
            raise CommandError(
                "This is the production profile: the demo users have published passwords. "
                "Use --production-demo only for a local demonstration (make demo-prod)."
            )
        domain = load_demo_inventory()
        self.stdout.write(f"Demo domain “{domain.name}” with {domain.servers.count()} servers is ready.")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:9} / {user.password:18} ({user.role})")
