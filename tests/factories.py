"""factory-boy factories for workspace models (use inside a workspace schema)."""

import factory
from factory.django import DjangoModelFactory

from leads.identity import email_key
from leads.models import CustomField, Lead, Suppression, Tag


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
