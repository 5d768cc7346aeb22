from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = "Lists"

    def ready(self) -> None:
        from leads import bulk as leads_bulk
        from lists import bulk
        from lists.services import memberships_release_for_deleted_leads

        bulk.register()
        # Lead deletes are set-based SQL; list counts follow in the same transaction.
        leads_bulk.BEFORE_DELETE_HOOKS.append(memberships_release_for_deleted_leads)
