from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        from exports.services import export_jobs_expire
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        # Expired export files are deleted, stalled exports failed, by the periodic sweep.
        MAINTENANCE_STEPS.append(("exports_expired", export_jobs_expire))
