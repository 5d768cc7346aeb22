"""factory-boy factories for workspace models (use inside a workspace schema)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from exports.models import ExportJob
from imports.models import ImportJob
from leads.identity import email_key
from leads.models import BulkAction, CustomField, Lead, Suppression, Tag
from leads.selection import LeadSelection


def every_lead() -> dict:
    """The stored selection of every lead (no filter, nothing excluded)."""
    return LeadSelection(query="").to_json()


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    email_key = factory.LazyAttribute(lambda o: email_key(o.email))
    company = factory.Faker("company")
    job_title = factory.Faker("job")

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = CustomField

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")


class SuppressionFactory(DjangoModelFactory):
    class Meta:
        model = Suppression

    email_key = factory.Sequence(lambda n: f"suppressed{n}@example.com")
    reason = Suppression.Reason.UNSUBSCRIBED


class LeadListFactory(DjangoModelFactory):
    class Meta:
        model = "lists.LeadList"

    name = factory.Sequence(lambda n: f"List {n}")


class ImportJobFactory(DjangoModelFactory):
    """An import at the model's first status (uploaded) with no file stored.

    ``running=True``: an import in its merge, as the bulk lock's holder sees it.
    """

    class Meta:
        model = ImportJob

    class Params:
        running = factory.Trait(
            status=ImportJob.Status.RUNNING, started_at=factory.LazyFunction(timezone.now)
        )

    file_name = factory.Sequence(lambda n: f"import-{n}.csv")


class ExportJobFactory(DjangoModelFactory):
    """A queued CSV export of every lead's email (a completed one needs ``file_path``)."""

    class Meta:
        model = ExportJob

    fields = factory.LazyFunction(lambda: ["email"])
    selection = factory.LazyFunction(every_lead)


class BulkActionFactory(DjangoModelFactory):
    """A queued "add tag" over every lead; running it needs ``params={"tag": pk}``."""

    class Meta:
        model = BulkAction

    action = BulkAction.Action.ADD_TAG
    selection = factory.LazyFunction(every_lead)
