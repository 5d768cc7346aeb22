from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from leads.demo import demo_seed
from lists.demo import demo_lists_seed
from penguinleads.tenancy.models import Workspace


class Command(BaseCommand):
    help = "Fill a workspace (default: demo) with realistic leads and lists. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", default="demo")
        parser.add_argument("--count", type=int, default=5000)

    def handle(self, *args, slug, count, **options):
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"There is no workspace “{slug}”.")
        with schema_context(workspace.schema_name):
            created = demo_seed(count=count)
            lists_created = demo_lists_seed()
        if created:
            self.stdout.write(f"Created {created:,} demo leads in {slug}.")
        else:
            self.stdout.write(f"{slug} already has leads; nothing to do.")
        if lists_created:
            self.stdout.write(f"Created {lists_created} demo lists in {slug}.")
