from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        # Imported once the app registry is ready: these modules import models.
        from imports.maintenance import (
            import_files_expire,
            import_jobs_fail_stalled,
            import_staging_sweep,
        )
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        MAINTENANCE_STEPS.extend(
            [
                ("imports_stalled_failed", import_jobs_fail_stalled),
                ("import_staging_dropped", import_staging_sweep),
                ("import_files_expired", import_files_expire),
            ]
        )
