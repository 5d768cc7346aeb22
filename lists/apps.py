from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = "Lists"

    def ready(self) -> None:
        # Imported here: these modules import models, which load after apps.py.
        from lists.services import list_counts_reconcile
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        # The periodic proof that member counts are exact (drift is fixed and logged).
        MAINTENANCE_STEPS.append(("list_counts_fixed", lambda: len(list_counts_reconcile())))
