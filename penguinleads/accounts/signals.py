"""Sign-ins and failed sign-ins go to the audit log."""

from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs) -> None:
    if connection.schema_name == get_public_schema_name():
        return
    from penguinleads.accounts.audit import audit_record

    audit_record(
        actor=user,
        verb="signed_in",
        target=user,
        details={"ip": request.META.get("REMOTE_ADDR", "") if request else ""},
    )
