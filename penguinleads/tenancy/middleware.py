"""Pick the workspace from the host; explain unknown and deactivated ones; its dates."""

from django.conf import settings
from django.db import connection
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from penguinleads.dates import workspace_dates
from penguinleads.tenancy.models import WorkspaceSettings


class WorkspaceMiddleware(TenantMainMiddleware):
    """django-tenants' routing, with friendly pages instead of bare 404s.

    The bare domain (``BASE_DOMAIN``) is the public site, served on the
    public schema with the public URLconf whether or not a public Workspace
    row exists (provisioning never creates one, and request.tenant stays
    unset there). An unknown subdomain gets a "no workspace here" page
    (status 404) linking to the public site; a deactivated workspace gets a
    notice (status 403) and none of its pages, sign-in included.
    """

    def no_tenant_found(self, request, hostname):
        connection.set_schema_to_public()
        if hostname == settings.BASE_DOMAIN:
            self.setup_url_routing(request, force_public=True)
            return None
        return render(request, "tenancy/workspace_missing.html", {"hostname": hostname}, status=404)

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        workspace = getattr(request, "tenant", None)
        if workspace is not None and not workspace.is_public and not workspace.is_active:
            return render(
                request, "tenancy/workspace_inactive.html", {"workspace": workspace}, status=403
            )
        return None


class WorkspaceDatesMiddleware:
    """Dates on a workspace's pages in its date style and time zone (``penguinleads.dates``).

    One query per request (the workspace's settings row); the public site
    keeps the defaults.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        workspace = getattr(request, "tenant", None)
        if workspace is None or workspace.is_public:
            return self.get_response(request)
        try:
            workspace_settings = workspace.settings
        except WorkspaceSettings.DoesNotExist:  # provisioning always makes one; defaults if not
            return self.get_response(request)
        with workspace_dates(workspace_settings):
            return self.get_response(request)
