from django.db import connection


def workspace(request):
    """The current workspace (None on the public site) and the unread notification count."""
    tenant = getattr(request, "tenant", None)
    current = tenant if tenant is not None and not tenant.is_public else None
    unread = 0
    user = getattr(request, "user", None)
    if current is not None and user is not None and user.is_authenticated:
        # One indexed count per page; the partial index covers unread rows only.
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "workspace": current,
        "unread_notifications": unread,
        "schema_name": connection.schema_name,
    }
