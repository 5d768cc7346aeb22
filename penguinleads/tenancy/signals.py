"""Run ``roles_sync()`` after every migration of every workspace schema."""

from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name


@receiver(post_migrate)
def sync_roles_after_migrate(sender, **kwargs) -> None:
    # post_migrate fires once per app with models; act once per schema, after
    # the last one, when every app's permissions can exist.
    last_app = [a for a in apps.get_app_configs() if a.models_module is not None][-1]
    if sender.name != last_app.name or connection.schema_name == get_public_schema_name():
        return
    from penguinleads.tenancy.roles import roles_sync

    roles_sync()
