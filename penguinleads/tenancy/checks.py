"""System checks that keep production settings honest."""

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

COLLECT_HINT = "Run `python manage.py collectstatic --noinput` on every deploy, before serving."


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "DJANGO_SECRET_KEY is not set: the development key is in use.",
                hint="Set DJANGO_SECRET_KEY to a long random value in production.",
                id="penguinleads.E001",
            )
        ]
    return []


# Not tagged "staticfiles": collectstatic runs those checks, and this one must let it run.
@register("penguinleads")
def check_collected_static(app_configs, **kwargs):
    """With a manifest storage (production), every static file must be collected.

    Without the manifest, or with a file the manifest lacks (collected
    before the code changed), every page fails with "Missing staticfiles
    manifest entry": refuse to start instead, naming the command that fixes
    it. Reads the manifest and lists the finders' files: a few milliseconds.
    """
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    root = settings.STATIC_ROOT
    if not storage.exists(storage.manifest_name):
        return [
            Error(
                f"Static files are not collected: {root} has no {storage.manifest_name}, "
                "so every page would fail.",
                hint=COLLECT_HINT,
                id="penguinleads.E002",
            )
        ]
    try:
        collected, _ = storage.load_manifest()
    except ValueError as exc:  # not JSON, or another manifest version
        return [
            Error(
                f"The collected static files in {root} are unreadable: {exc}.",
                hint=COLLECT_HINT,
                id="penguinleads.E002",
            )
        ]
    ignored = apps.get_app_config("staticfiles").ignore_patterns  # what collectstatic skips
    missing = sorted(
        path
        for finder in finders.get_finders()
        for path, _ in finder.list(ignored)
        if path not in collected
    )
    if missing:
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        return [
            Error(
                f"{len(missing)} static file(s) are missing from the collected files in {root} "
                f"({shown}): they were collected before this code.",
                hint=COLLECT_HINT,
                id="penguinleads.E002",
            )
        ]
    return []


def require_collected_static() -> None:
    """Raise ImproperlyConfigured when :func:`check_collected_static` fails.

    For servers that run no system checks (gunicorn loads ``wsgi.py``):
    they refuse to start rather than answer every page with an error.
    """
    errors = check_collected_static(None)
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint} ({errors[0].id})")
