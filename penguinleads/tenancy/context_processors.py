from django.conf import settings
from django.db import connection


def public_site_url(request) -> str:
    """The public site's address (``http://localhost:8000/`` in development).

    Same scheme and port as the current request, so a link from
    ``demo.localhost:8000`` leads to ``localhost:8000``.
    """
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = settings.BASE_DOMAIN if port == default_port else f"{settings.BASE_DOMAIN}:{port}"
    return f"{request.scheme}://{netloc}/"


def workspace(request):
    """The current workspace (None on the public site), the unread notification count,
    and where the public site is (``BASE_DOMAIN``, ``public_site_url``) for links and hints.
    """
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
        "BASE_DOMAIN": settings.BASE_DOMAIN,
        "public_site_url": public_site_url(request),
    }
