"""Test settings: production settings with the few changes tests need.

- Static files from the finders, unhashed: production's manifest storage
  needs ``collectstatic`` first, which a test run should not.
- A fast password hasher: tests create and sign in many people.
"""

from penguinleads.settings import *  # noqa: F403
from penguinleads.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
