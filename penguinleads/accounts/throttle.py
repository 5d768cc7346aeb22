"""Sign-in throttling through the shared cache (a database table).

Every web process reads and writes the same counters, so the limit holds
across gunicorn workers and machines. Keys go through
``django_tenants.cache.make_key`` (settings.CACHES), so each workspace counts
on its own. Counted per email and per client address: guessing one person's
password and spraying one password over many people are both slowed.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, ip: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"signin-fail:email:{digest}", f"signin-fail:ip:{ip}"]


def is_locked(email: str, ip: str) -> bool:
    counts = cache.get_many(_keys(email, ip))
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def record_failure(email: str, ip: str) -> None:
    # Each failure restarts the window: a steady trickle stays locked out.
    for key in _keys(email, ip):
        cache.set(key, cache.get(key, 0) + 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def clear(email: str, ip: str) -> None:
    # Only the email's counter: a success must not unlock a spraying address.
    cache.delete(_keys(email, ip)[0])
