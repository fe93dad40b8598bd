"""Print the procedure catalog: ``manage.py catalog`` (a summary) or ``manage.py catalog --json``."""

import json

from django.core.management.base import BaseCommand

from procedures.catalog import catalog_as_json


class Command(BaseCommand):
    help = "Print the K.5 procedure catalog (abstract: not rendered against a cluster)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the whole catalog as JSON.")

    def handle(self, *args, **options):
        data = catalog_as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for procedure in data["procedures"]:
            self.stdout.write(f"{procedure['code']} {procedure['version']}  {procedure['title']['en']}")
            for step in procedure["steps"]:
                seeds = ",".join(step["seed_ids"]) or "(added)"
                flags = " ".join(
                    flag
                    for flag, on in (
                        ("signoff", step["needs_signoff"]),
                        ("rerunnable", step["rerunnable"]),
                        ("deviation", bool(step["deviation"])),
                    )
                    if on
                )
                conditions = ",".join(step["conditions"])
                self.stdout.write(
                    f"  {seeds:<12} {step['kind']:<8} {step['target']:<16} {step['key']:<32} {conditions:<24} {flags}"
                )
