"""Helpers shared by the leads tests."""

from __future__ import annotations

INLINE = "leadtag_set"


def lead_admin_post(**overrides) -> dict:
    """A complete add/change POST for LeadAdmin, with an empty tags inline."""
    data = {
        "email": "admin.made@example.com",
        "first_name": "Ada",
        "last_name": "",
        "company": "",
        "job_title": "",
        "owner": "",
        "status": "active",
        "phone": "",
        "website": "",
        "linkedin_url": "",
        "city": "",
        "region": "",
        "country": "",
        "custom_fields": "{}",
        f"{INLINE}-TOTAL_FORMS": "0",
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data
