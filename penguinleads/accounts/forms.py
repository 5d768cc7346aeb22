from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from penguinleads.accounts import throttle
from penguinleads.tenancy.roles import MEMBER, ROLE_DESCRIPTIONS


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class SignInForm(AuthenticationForm):
    """Email and password; a password is checked only within the sign-in limits.

    The slot is taken before ``authenticate()`` (``throttle.signin_slot_take``),
    so guesses fired at once cannot all slip under the limit: beyond it the
    answer is "too many failed sign-ins" and the password is not looked at.
    """

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match. Check both and try again.",
        "throttled": (
            "Too many failed sign-ins. Wait %(minutes)s minutes, or reset your password."
        ),
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()  # no password is checked; the field errors say why
        ip = client_ip(self.request)
        if not throttle.signin_slot_take(email=email, ip=ip):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60)},
            )
        cleaned = super().clean()  # a wrong password raises here and its slot stays taken
        throttle.signin_succeeded(email=email, ip=ip)
        return cleaned


# --- Team and invitations ----------------------------------------------------


class BootstrapFieldsMixin:
    """Give widgets Bootstrap/Tabler classes, and mark fields with errors ``is-invalid``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                continue  # rendered by hand as Tabler select-group boxes
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        # Every error passes through here, including ones a view adds from a service.
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class RoleChoiceMixin:
    """A ``role`` radio field limited to ``roles``, with each role's description for the page."""

    def _limit_roles(self, roles: list[str]) -> None:
        self.fields["role"].choices = [(r, r) for r in roles]

    def role_options(self) -> list[dict]:
        """Value, description and checked state per allowed role (the template draws boxes)."""
        current = self["role"].value()
        return [
            {
                "value": value,
                "label": label,
                "description": ROLE_DESCRIPTIONS.get(value, ""),
                "checked": current == value,
                "id": f"id_role_{index}",
            }
            for index, (value, label) in enumerate(self.fields["role"].choices)
        ]


class InviteForm(BootstrapFieldsMixin, RoleChoiceMixin, forms.Form):
    """Who to invite and with which role. ``roles``: the roles the inviter may grant."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    full_name = forms.CharField(label="Full name", max_length=150, required=False)
    role = forms.ChoiceField(label="Role", choices=[], widget=forms.RadioSelect, initial=MEMBER)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_roles(roles)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RoleForm(BootstrapFieldsMixin, RoleChoiceMixin, forms.Form):
    """A team member's new role. ``roles``: the roles the editor may grant."""

    role = forms.ChoiceField(label="Role", choices=[], widget=forms.RadioSelect)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_roles(roles)


class InvitationAcceptForm(BootstrapFieldsMixin, SetPasswordForm):
    """The invited person's first password; Django's password validators apply."""


class AdminSignInForm(SignInForm):
    """The Django admin's sign-in: our throttled form, admitting whoever may use that admin.

    (Django's own admin form demands ``is_staff``, which workspace people never have.)
    """

    def confirm_login_allowed(self, user):
        from penguinleads.admin_site import may_use_admin

        super().confirm_login_allowed(user)
        if not may_use_admin(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
