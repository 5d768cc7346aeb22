from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from penguinleads.tenancy.services import workspace_provision


class Command(BaseCommand):
    help = "Create a workspace (schema, domain, settings, roles) and its Owner."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The workspace address: <slug>.<BASE_DOMAIN>.")
        parser.add_argument("--name", required=True, help="The company's name.")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--password", help="The Owner's password (generated when omitted).")

    def handle(self, *args, slug, name, owner_email, password, **options):
        try:
            result = workspace_provision(
                slug=slug, name=name, owner_email=owner_email, owner_password=password
            )
        except ValidationError as exc:
            messages = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            )
            raise CommandError(messages) from None
        ws = result.workspace
        self.stdout.write(f"Created workspace {ws.slug} ({ws.name}) at {ws.site_url()}")
        self.stdout.write(f"Owner: {result.owner.email}")
        if result.generated_password:
            self.stdout.write(f"Password: {result.generated_password}")
