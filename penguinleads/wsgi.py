import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "penguinleads.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to start rather than fail every page.
from penguinleads.tenancy.checks import require_collected_static  # noqa: E402

require_collected_static()
