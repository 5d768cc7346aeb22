"""Tier 2: two processes adding and removing members of one list at once."""

import subprocess
import sys
import textwrap

from django_tenants.utils import schema_context

from leads.models import Lead
from lists.services import list_counts_reconcile
from penguinleads.embedded_db import REPO_ROOT
from tests.factories import LeadListFactory
from tests.tier2 import subprocess_env

WRITER = textwrap.dedent(
    """
    import os, random, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "penguinleads.settings")
    django.setup()
    from django_tenants.utils import schema_context
    from leads.models import Lead
    from lists.models import LeadList
    from lists.services import list_add_leads, list_remove_leads

    schema, list_id, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    with schema_context(schema):
        ids = list(Lead.objects.values_list("id", flat=True))
        lead_list = LeadList.objects.get(pk=list_id)
        for _ in range(40):
            chosen = Lead.objects.filter(pk__in=rng.sample(ids, 300))
            if rng.random() < 0.6:
                list_add_leads(actor=None, lead_list=lead_list, leads=chosen, audit=False)
            else:
                list_remove_leads(actor=None, lead_list=lead_list, leads=chosen, audit=False)
    """
)


def test_member_count_stays_exact_under_two_concurrent_writers(throwaway_workspace):
    workspace = throwaway_workspace().workspace
    with schema_context(workspace.schema_name):
        Lead.objects.bulk_create(
            [Lead(email=f"p{i}@example.com", email_key=f"p{i}@example.com") for i in range(1500)]
        )
        lead_list = LeadListFactory(name="Contended")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, workspace.schema_name, str(lead_list.pk), str(seed)],
            cwd=REPO_ROOT,
            env=subprocess_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr
    with schema_context(workspace.schema_name):
        lead_list.refresh_from_db()
        assert lead_list.member_count == lead_list.memberships.count() > 0
        assert list_counts_reconcile() == {}
