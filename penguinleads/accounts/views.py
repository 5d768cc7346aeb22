"""Team, invitations, password reset, notifications and the audit log.

Thin views: permission, form, one service call, message, redirect. The
rules (who may grant Owner, the last Owner, duplicate emails) live in
``penguinleads.accounts.services``; its ValidationErrors become form errors
or messages here, its PermissionDenied becomes a 403.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from penguinleads.accounts import notifications, selectors, services, throttle
from penguinleads.accounts.forms import InvitationAcceptForm, InviteForm, RoleForm, client_ip
from penguinleads.accounts.models import Invitation, Notification, User
from penguinleads.pagination import pager_for, requested_page
from penguinleads.querystrings import clean_query, query_with
from penguinleads.tenancy.roles import OWNER
from penguinleads.web import add_service_errors, plural, render_page_or_partial, safe_return_url

MANAGE_TEAM = "accounts.manage_team"
VIEW_AUDIT = "accounts.view_auditevent"
NOTIFICATIONS_PER_PAGE = 25
AUDIT_PER_PAGE = 50


# --- Team --------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One person as the Team page shows them."""

    user: User
    role: str | None
    status: str  # "active", "invited", "expired" or "deactivated"
    invitation: Invitation | None

    @property
    def joined_at(self):
        """When they joined: accepting the invitation, or being created if never invited."""
        if self.invitation is not None:
            return self.invitation.accepted_at
        return self.user.date_joined


def _member_row(user: User) -> MemberRow:
    invitation = getattr(user, "invitation", None)  # reverse one-to-one: None when absent
    if not user.is_active:
        status = "deactivated"
    elif invitation is not None and invitation.accepted_at is None:
        status = "invited" if invitation.expires_at > timezone.now() else "expired"
    else:
        status = "active"
    return MemberRow(user=user, role=user.role, status=status, invitation=invitation)


def _accept_url_base(request: HttpRequest) -> str:
    # The workspace's own scheme, host and port: the host is what picks the schema.
    return request.build_absolute_uri("/")


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_http_methods(["GET"])
def team_list(request: HttpRequest) -> HttpResponse:
    """Everyone in the workspace with role, status and per-row actions. Two queries."""
    people = User.objects.prefetch_related("groups").select_related("invitation")
    # Active people first, then by the name shown (the email when there is no name).
    people = sorted(people, key=lambda u: (not u.is_active, (u.full_name or u.email).lower()))
    rows = [_member_row(user) for user in people]
    context = {"rows": rows, "can_manage_owners": services.can_manage_owners(request.user)}
    return render(request, "accounts/team_list.html", context)


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None, roles=services.grantable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.team_invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                accept_url_base=_accept_url_base(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Invitation sent to {invitation.user.email} as {invitation.role}."
            )
            return redirect("accounts:team")
    context = {"form": form, "valid_days": settings.INVITATION_VALID_DAYS}
    return render(request, "accounts/team_invite.html", context)


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One person: change their role; links to deactivate, reactivate, resend the invitation."""
    member = get_object_or_404(User.objects.select_related("invitation"), pk=pk)
    row = _member_row(member)
    roles = services.grantable_roles(request.user)
    # Only an Owner may change an Owner: others see the role but no form.
    can_change_role = row.role in roles or row.role is None
    form = RoleForm(request.POST or None, roles=roles, initial={"role": row.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.team_set_role(actor=request.user, user=member, role=form.cleaned_data["role"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{member} is now {form.cleaned_data['role']}.")
            return redirect("accounts:team_member", pk=member.pk)
    context = {
        "member": member,
        "row": row,
        "form": form,
        "can_change_role": can_change_role,
        "can_change_access": row.role != OWNER or services.can_manage_owners(request.user),
        "is_self": member.pk == request.user.pk,
    }
    return render(request, "accounts/team_member.html", context)


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deactivates."""
    member = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        try:
            services.team_deactivate(actor=request.user, user=member)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:team_member", pk=member.pk)
        messages.success(request, f"{member} is deactivated and can no longer sign in.")
        return redirect("accounts:team")
    return render(request, "accounts/team_member_deactivate.html", {"member": member})


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_POST
def team_member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    services.team_reactivate(actor=request.user, user=member)
    messages.success(request, f"{member} is active again and can sign in.")
    return redirect("accounts:team_member", pk=member.pk)


@login_required
@permission_required(MANAGE_TEAM, raise_exception=True)
@require_POST
def team_member_resend_invite(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    try:
        services.team_resend_invitation(
            actor=request.user, user=member, accept_url_base=_accept_url_base(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"A new invitation is on its way to {member.email}.")
    return redirect("accounts:team_member", pk=member.pk)


# --- Invitations -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link. Unknown token → 404; used, expired, withdrawn → 410."""
    invitation = Invitation.objects.select_related("user").filter(token=token).first()
    if invitation is None:
        return _invitation_invalid(request, "unknown", status=404)
    problem = services.invitation_problem(invitation)
    if problem is not None:
        return _invitation_invalid(request, problem, status=410)
    form = InvitationAcceptForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            if exc.code in services.INVITATION_PROBLEMS:  # used meanwhile, e.g. a double submit
                return _invitation_invalid(request, exc.code, status=410)
            form.add_error("new_password2", exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {request.tenant.name}.")
            return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


def _invitation_invalid(request: HttpRequest, problem: str, *, status: int) -> HttpResponse:
    message = services.INVITATION_PROBLEMS.get(
        problem, "This invitation link is not valid. Check that you copied all of it."
    )
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"problem": problem, "message": message},
        status=status,
    )


# --- Password reset ----------------------------------------------------------


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Django's "email me a link", limited per address and per client.

    Beyond ``PASSWORD_RESET_EMAIL_LIMIT`` requests for one address, or
    ``PASSWORD_RESET_CLIENT_LIMIT`` from one client, in
    ``PASSWORD_RESET_LIMIT_WINDOW`` seconds, no email is sent; the answer is
    the same "check your email" redirect as ever, known address or not, so
    neither the limit nor the answer tells whether an account uses it.
    """

    def form_valid(self, form):
        if throttle.reset_request_allowed(
            email=form.cleaned_data["email"], ip=client_ip(self.request)
        ):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "choose a new password"; a completed reset lifts the sign-in lock
    of that person's email and of the client completing it, as the lockout
    message promises."""

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.signin_unlock(email=form.user.email, ip=client_ip(self.request))
        return response


# --- Notifications -----------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first, 25 a page. Marks nothing read."""
    paginator = Paginator(
        request.user.notifications.order_by("-created_at", "-id"), NOTIFICATIONS_PER_PAGE
    )
    page = paginator.get_page(requested_page(request.GET.get("page")))
    context = {"page": page, "pager": pager_for(page, request.GET)}
    return render(request, "accounts/notification_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of your notifications read and go where it points.

    A plain link (GET), because the list shows notifications as links; marking
    one's own notification read is harmless to repeat. Someone else's → 404.
    A URL pointing off this workspace is not followed (no open redirect).
    """
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.notification_mark_read(recipient=request.user, notification_ids=[notification.pk])
    return redirect(safe_return_url(request, notification.url, reverse("accounts:notifications")))


@login_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications.notification_mark_read(recipient=request.user)
    messages.success(request, f"Marked {plural(count, 'notification')} read.")
    return redirect("accounts:notifications")


# --- Audit log ---------------------------------------------------------------


@login_required
@permission_required(VIEW_AUDIT, raise_exception=True)
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Who did what, when, to how many: newest first, 50 a page, filtered by action,
    person and dates. An htmx request (the filter form, the pager) gets the table partial.

    Times and the date filter are in the workspace's time zone: "from 3 May" is
    the workspace's 3 May, whatever the server's zone.
    """
    zone = zoneinfo.ZoneInfo(request.tenant.settings.time_zone)
    with timezone.override(zone):
        filterset = selectors.audit_filter(params=request.GET)
        page = Paginator(selectors.audit_events(filterset), AUDIT_PER_PAGE).get_page(
            requested_page(request.GET.get("page"))
        )
        filtered = any(filterset.form.cleaned_data.get(name) for name in filterset.filters)
        context = {
            "filterset": filterset,
            "page": page,
            "rows": selectors.audit_rows(page.object_list, viewer=request.user),
            "filtered": filtered or bool(filterset.errors),
            "time_zone": zone.key,
            "pager": pager_for(page, clean_query(request.GET), url=reverse("accounts:audit")),
        }
        return render_page_or_partial(
            request,
            "accounts/auditevent_list.html",
            "accounts/includes/_audit_table.html",
            context,
            push_url=reverse("accounts:audit") + query_with(clean_query(request.GET)),
        )
