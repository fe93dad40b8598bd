from django.core.management.base import BaseCommand

from clusters.demo import DEMO_USERS, load_demo_inventory


class Command(BaseCommand):
    help = "Load the demo inventory and demo users (idempotent)."

    def handle(self, *args, **options):
        domain = load_demo_inventory()
        self.stdout.write(f"Demo domain “{domain.name}” with {domain.servers.count()} servers is ready.")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:9} / {user.password:18} ({user.role})")
