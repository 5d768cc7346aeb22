"""Test settings: the development settings with the few changes tests need.

- A fast password hasher: tests create and sign in many people.
"""

from penguinleads.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
