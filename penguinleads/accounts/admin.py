"""Admin for people: platform staff on the bare domain, the team in a workspace.

Every change goes through the team services, so the Team page's rules hold
here too: only an Owner changes an Owner, the last active Owner stays,
nobody deactivates themselves, and each change is in the audit log. People
join by invitation and set their own password from its link (or reset it
later): the admin never sets or changes anyone's password. Nobody is
deleted: deactivate them, since their work and history point at them.
Roles change on the Team page; here they are read-only. Platform staff (the
public schema) are created with ``manage.py createsuperuser``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect
from django_tenants.utils import get_public_schema_name

from penguinleads.accounts import services
from penguinleads.accounts.models import AuditEvent, Notification, User
from penguinleads.tenancy.roles import MEMBER


class OneAddressPerPersonMixin:
    """The email as the model stores it (lower case), refused when someone on the
    team has it in any case: one clear message, instead of the unique field's
    and the case-insensitive constraint's together."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"{email} is already on the team.", code="duplicate")
        return email

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | {"email"}


class PersonChangeForm(OneAddressPerPersonMixin, forms.ModelForm):
    """Email, name and access; ``services.team_member_update`` writes them."""

    class Meta:
        model = User
        fields = ["email", "full_name", "is_active"]


class PersonInviteForm(OneAddressPerPersonMixin, forms.ModelForm):
    """Who to invite and as what; ``services.team_invite`` adds and emails them.

    ``roles`` (set per request by ``UserAdmin.get_form``) are the roles the
    inviter may grant.
    """

    roles: list[str] = []

    role = forms.ChoiceField(choices=[], initial=MEMBER)

    class Meta:
        model = User
        fields = ["email", "full_name"]
        help_texts = {"email": "They get an email with a link to set their own password."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role, role) for role in self.roles]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PersonChangeForm
    add_form = PersonInviteForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["is_active", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "groups"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        ("Profile", {"fields": ["full_name"]}),
        ("Access", {"fields": ["is_active", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "role"]})]
    filter_horizontal = []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            roles = services.grantable_roles(request.user)
            form = type(form.__name__, (form,), {"roles": roles})
        return form

    def has_add_permission(self, request) -> bool:
        # Invitations are a workspace's; platform staff come from createsuperuser.
        in_workspace = connection.schema_name != get_public_schema_name()
        return in_workspace and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.may_change_member(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def user_change_password(self, request, id, form_url=""):
        raise Http404("Passwords are set by their person, from an invitation or a reset link.")

    def save_model(self, request, obj: User, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.team_member_update(
                actor=request.user,
                user=obj,
                email=data["email"],
                full_name=data["full_name"],
                is_active=data["is_active"],
            )
            obj.refresh_from_db()
            return
        invitation = services.team_invite(
            actor=request.user,
            email=data["email"],
            full_name=data["full_name"],
            role=data["role"],
            accept_url_base=request.build_absolute_uri("/"),
        )
        # The admin keeps using ``obj`` (log entry, redirect): make it the invited person.
        obj.pk = invitation.user.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A team rule refused the save (yourself, the last Owner, an email
            # taken meanwhile): the admin's transaction rolled everything back.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(request.path)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "verb", "target_label", "count"]
    list_filter = ["verb"]
    search_fields = ["actor_label", "target_label", "verb"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    # The audit log is evidence: nobody edits or deletes it.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "level", "title", "read_at"]
    list_filter = ["level"]
    search_fields = ["title", "recipient__email"]
    raw_id_fields = ["recipient"]
