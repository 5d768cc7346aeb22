from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from penguinleads.accounts.models import User
from penguinleads.tenancy.models import Workspace
from penguinleads.tenancy.roles import ADMIN, MEMBER, VIEWER
from penguinleads.tenancy.services import workspace_provision

DEMO_SLUG = "demo"
DEMO_PASSWORD = "penguin-demo"


class Command(BaseCommand):
    help = "Provision the demo workspace (safe to re-run): one person per role."

    def handle(self, *args, **options):
        if not Workspace.objects.filter(slug=DEMO_SLUG).exists():
            workspace_provision(
                slug=DEMO_SLUG,
                name="Demo Company",
                owner_email="owner@demo.example",
                owner_password=DEMO_PASSWORD,
                owner_name="Olivia Owner",
            )
            self.stdout.write("Created the demo workspace.")
        with schema_context(DEMO_SLUG):
            for role, name in [
                (ADMIN, "Adam Admin"),
                (MEMBER, "Mia Member"),
                (VIEWER, "Victor Viewer"),
            ]:
                email = f"{role.lower()}@demo.example"
                if not User.objects.filter(email=email).exists():
                    user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
                    user.groups.add(Group.objects.get(name=role))
