from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # Imported here: these modules import models, which load after apps.py.
        from leads.maintenance import bulk_actions_fail_stalled
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        MAINTENANCE_STEPS.append(("bulk_actions_stalled_failed", bulk_actions_fail_stalled))
