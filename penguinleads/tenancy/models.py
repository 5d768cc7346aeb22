"""Workspaces: the customer companies, one PostgreSQL schema each."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from penguinleads import dates

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,40}$"
# Subdomains we keep for ourselves or that would confuse people and browsers.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "billing", "blog", "cdn", "dashboard",
        "dev", "docs", "ftp", "help", "imap", "internal", "login", "mail", "media",
        "pop", "postgres", "public", "root", "signup", "smtp", "staging", "static",
        "status", "support", "system", "test", "www",
    }
)  # fmt: skip


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            "“%(slug)s” is reserved. Choose another workspace address.",
            code="reserved",
            params={"slug": value},
        )


def schema_name_for(slug: str) -> str:
    """Schema names are derived from slugs: hyphens become underscores."""
    return slug.replace("-", "_")


class Workspace(TenantMixin):
    """A customer company. Its data lives in schema ``schema_name``."""

    slug = models.CharField(
        max_length=41,
        unique=True,
        validators=[
            RegexValidator(
                SLUG_PATTERN,
                "Use 2–41 characters: lower-case letters, digits and hyphens, "
                "starting with a letter.",
            ),
            validate_slug_not_reserved,
        ],
        help_text="The workspace's address: <slug>.<base domain>.",
    )
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(
        default=True, help_text="A deactivated workspace shows a notice instead of its pages."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by the provisioning service, never as a save side effect.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == settings.PUBLIC_SCHEMA_NAME

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}" if not self.is_public else settings.BASE_DOMAIN

    def site_url(self, path: str = "/") -> str:
        """``path`` as an absolute URL on this workspace's host, where no request gives one
        (emails, commands): ``https`` when ``DJANGO_SECURE`` is on, and ``SITE_PORT``
        (``8000`` in development) after the host when set."""
        scheme = "https" if settings.SECURE else "http"
        port = str(settings.SITE_PORT or "")
        netloc = f"{self.host}:{port}" if port else self.host
        return f"{scheme}://{netloc}/{path.lstrip('/')}"

    def clean(self) -> None:
        if self.slug and not self.is_public and not re.fullmatch(SLUG_PATTERN, self.slug):
            raise ValidationError({"slug": "Invalid workspace address."})


class Domain(DomainMixin):
    """The host name a workspace answers on (``<slug>.<BASE_DOMAIN>``)."""

    def __str__(self) -> str:
        return self.domain


class WorkspaceSettings(models.Model):
    """Per-workspace preferences, edited by the Owner."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="settings")
    default_phone_region = models.CharField(
        max_length=2,
        default="US",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use a two-letter country code such as US.")],
        help_text="Region used to read phone numbers written without a +country code.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    date_style = models.CharField(
        "Date format",
        max_length=8,
        choices=dates.CHOICES,
        default=dates.DEFAULT_STYLE,
        help_text="How every page writes dates and times (in the workspace's time zone).",
    )
    viewers_can_export = models.BooleanField(default=False, help_text="Let Viewers export leads.")
    file_retention_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="How long uploaded files, problem rows and exports are kept.",
    )
    import_max_file_mb = models.PositiveIntegerField(
        default=512, validators=[MinValueValidator(1), MaxValueValidator(4096)]
    )
    import_max_rows = models.PositiveIntegerField(
        default=1_048_576, validators=[MinValueValidator(1), MaxValueValidator(10_000_000)]
    )
    import_max_columns = models.PositiveIntegerField(
        default=500, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    undo_window_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "workspace settings"
        verbose_name_plural = "workspace settings"

    def __str__(self) -> str:
        return f"Settings of {self.workspace}"
