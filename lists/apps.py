from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = "Lists"

    def ready(self) -> None:
        from leads import bulk as leads_bulk
        from lists import bulk
        from lists.services import list_counts_reconcile, memberships_release_for_deleted_leads
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        bulk.register()
        # Lead deletes are set-based SQL; list counts follow in the same transaction.
        leads_bulk.BEFORE_DELETE_HOOKS.append(memberships_release_for_deleted_leads)
        # The periodic proof that member counts are exact (drift is fixed and logged).
        MAINTENANCE_STEPS.append(("list_counts_fixed", lambda: len(list_counts_reconcile())))
