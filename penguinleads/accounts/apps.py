from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "penguinleads.accounts"
    label = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from penguinleads.accounts import signals  # noqa: F401
