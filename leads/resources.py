"""The one declaration of the lead's importable and exportable fields.

``LeadResource`` names every column and its header, and each field's widget
holds its per-value cleaning. The import engine does not run
django-import-export's row-by-row import: it asks the Resource for each
target's cleaner (``LeadResource.cleaners()``) and calls them in batches; the
export service asks it for the columns and headers.
"""

from __future__ import annotations

from collections.abc import Callable

from import_export import fields, resources, widgets

from leads import cleaning
from leads.identity import InvalidEmail, email_key
from leads.models import Lead

MAX_TEXT = {f.name: f.max_length for f in Lead._meta.fields if getattr(f, "max_length", None)}


class TextWidget(widgets.CharWidget):
    """Trimmed text, refused when longer than the column allows."""

    def __init__(self, field_name: str):
        super().__init__(allow_blank=True)
        self.field_name = field_name
        self.limit = MAX_TEXT.get(field_name)

    def clean(self, value, row=None, **kwargs) -> str:
        return self.fitting("" if value is None else str(value).strip())

    def fitting(self, text: str) -> str:
        if self.limit and len(text) > self.limit:
            raise ValueError(
                f"is {len(text):,} characters long; at most {self.limit:,} fit. Shorten it."
            )
        return text


class WebAddressWidget(TextWidget):
    """An http(s) address (``cleaning.clean_web_url``): a bare domain gets https://."""

    def clean(self, value, row=None, **kwargs) -> str:
        return self.fitting(cleaning.clean_web_url(value))


class EmailWidget(widgets.CharWidget):
    """The email as entered; its identity is ``email_key`` (raises for invalid)."""

    def clean(self, value, row=None, **kwargs) -> str:
        text = "" if value is None else str(value).strip()
        try:
            email_key(text)
        except InvalidEmail as exc:
            raise ValueError(str(exc)) from None
        return text


class StatusWidget(widgets.CharWidget):
    """Our statuses, plus the spellings other tools export."""

    SPELLINGS = {
        "active": Lead.Status.ACTIVE, "subscribed": Lead.Status.ACTIVE,
        "unsubscribed": Lead.Status.UNSUBSCRIBED, "unsubscribe": Lead.Status.UNSUBSCRIBED,
        "opted out": Lead.Status.UNSUBSCRIBED, "opt-out": Lead.Status.UNSUBSCRIBED,
        "optout": Lead.Status.UNSUBSCRIBED, "do not contact": Lead.Status.UNSUBSCRIBED,
        "bounced": Lead.Status.BOUNCED, "bounce": Lead.Status.BOUNCED,
        "cleaned": Lead.Status.BOUNCED, "hard bounce": Lead.Status.BOUNCED,
        "invalid": Lead.Status.BOUNCED,
    }  # fmt: skip

    def clean(self, value, row=None, **kwargs) -> str:
        text = "" if value is None else str(value).strip().lower()
        if not text:
            return ""
        try:
            return self.SPELLINGS[text]
        except KeyError:
            raise ValueError(
                f"“{value}” is not a status. Use active, unsubscribed or bounced."
            ) from None

    def render(self, value, obj=None, **kwargs) -> str:
        return value or ""


class TagsWidget(widgets.Widget):
    """Tags as one cell: ``VIP; Webinar`` (any of , ; | separates), and as Google
    Contacts and Mailchimp write them (``cleaning.split_tags``)."""

    def clean(self, value, row=None, **kwargs) -> list[str]:
        names = cleaning.split_tags("" if value is None else str(value))
        too_long = [n for n in names if len(n) > 64]
        if too_long:
            raise ValueError(f"tag “{too_long[0][:20]}…” is longer than 64 characters.")
        return names

    def render(self, value, obj=None, **kwargs) -> str:
        return "; ".join(value or [])


def _text(name: str, header: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=header, widget=TextWidget(name))


class LeadResource(resources.ModelResource):
    email = fields.Field(attribute="email", column_name="Email", widget=EmailWidget())
    first_name = _text("first_name", "First name")
    last_name = _text("last_name", "Last name")
    company = _text("company", "Company")
    job_title = _text("job_title", "Job title")
    phone = _text("phone", "Phone")
    website = fields.Field(
        attribute="website", column_name="Website", widget=WebAddressWidget("website")
    )
    linkedin_url = fields.Field(
        attribute="linkedin_url",
        column_name="LinkedIn URL",
        widget=WebAddressWidget("linkedin_url"),
    )
    city = _text("city", "City")
    region = _text("region", "Region")
    country = _text("country", "Country")
    status = fields.Field(attribute="status", column_name="Status", widget=StatusWidget())
    tags = fields.Field(attribute="tag_names", column_name="Tags", widget=TagsWidget())
    owner = fields.Field(attribute="owner_email", column_name="Owner", readonly=False)
    # Read-only on import: our own export's extra columns map back to "ignore".
    lists = fields.Field(attribute="list_names", column_name="Lists", readonly=True)
    created_at = fields.Field(attribute="created_at", column_name="Created", readonly=True)
    updated_at = fields.Field(attribute="updated_at", column_name="Updated", readonly=True)

    class Meta:
        model = Lead
        fields = [
            "email", "first_name", "last_name", "company", "job_title", "phone", "website",
            "linkedin_url", "city", "region", "country", "status", "tags", "owner", "lists",
            "created_at", "updated_at",
        ]  # fmt: skip
        import_id_fields = ["email"]

    @classmethod
    def importable_fields(cls) -> dict[str, str]:
        """{field name: header} of the columns an import may write."""
        resource = cls()
        return {
            name: field.column_name
            for name, field in resource.fields.items()
            if not field.readonly and name != "owner"
        }

    @classmethod
    def cleaners(cls) -> dict[str, Callable[[object], object]]:
        """{field name: clean(value)} — each raises ValueError with a user-facing reason."""
        resource = cls()
        return {
            name: field.widget.clean
            for name, field in resource.fields.items()
            if not field.readonly and name != "owner"
        }

    @classmethod
    def headers(cls) -> dict[str, str]:
        """{field name: header} of every column, in export order."""
        return {name: field.column_name for name, field in cls().fields.items()}
