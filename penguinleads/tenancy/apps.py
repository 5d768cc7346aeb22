from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "penguinleads.tenancy"
    label = "tenancy"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        from penguinleads.tenancy import checks, signals  # noqa: F401
