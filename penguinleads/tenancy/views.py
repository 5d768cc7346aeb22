"""Public-site pages, the workspace home and settings, and error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from penguinleads.accounts.audit import audit_record
from penguinleads.tenancy.forms import WorkspaceFindForm, WorkspaceSettingsForm
from penguinleads.tenancy.roles import roles_sync


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenancy/landing.html", {"form": WorkspaceFindForm()})


@require_http_methods(["GET", "POST"])
def workspace_find(request: HttpRequest) -> HttpResponse:
    form = WorkspaceFindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = form.cleaned_data["slug"]
        port = request.get_port()
        default_port = "443" if request.is_secure() else "80"
        netloc = workspace.host if port == default_port else f"{workspace.host}:{port}"
        return redirect(f"{request.scheme}://{netloc}/accounts/login/")
    return render(request, "tenancy/workspace_find.html", {"form": form})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise. For load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from penguinleads.accounts.models import User

    team_size = User.objects.filter(is_active=True).count()
    return render(request, "tenancy/home.html", {"team_size": team_size})


@login_required
@permission_required("accounts.manage_workspace_settings", raise_exception=True)
@require_http_methods(["GET", "POST"])
def workspace_settings_edit(request: HttpRequest) -> HttpResponse:
    instance = request.tenant.settings
    form = WorkspaceSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "viewers_can_export" in form.changed_data:
            # Viewers' export permission follows the setting (penguinleads.tenancy.roles).
            roles_sync()
        audit_record(
            actor=request.user,
            verb="settings_changed",
            target=request.tenant,
            details={"fields": form.changed_data},
        )
        messages.success(request, "Workspace settings saved.")
        return redirect("workspace_settings")
    return render(request, "tenancy/workspacesettings_form.html", {"form": form})


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: it may be what failed.
    from django.template import loader

    return HttpResponse(
        loader.get_template("500.html").render({"BASE_DOMAIN": settings.BASE_DOMAIN}), status=500
    )
