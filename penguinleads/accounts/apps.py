from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "penguinleads.accounts"
    label = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from penguinleads.accounts import signals  # noqa: F401
        from penguinleads.accounts.throttle import expired_delete
        from penguinleads.tenancy.tasks import MAINTENANCE_STEPS

        MAINTENANCE_STEPS.append(("throttle_counters_expired", expired_delete))
