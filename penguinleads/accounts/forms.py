from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from penguinleads.accounts import throttle


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class SignInForm(AuthenticationForm):
    """Email and password, throttled after repeated failures."""

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
        email = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if throttle.is_locked(email, ip):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(email, ip)
            raise
        throttle.clear(email, ip)
        return cleaned
