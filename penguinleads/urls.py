"""The workspace URLconf: every page of <slug>.<BASE_DOMAIN>."""

from django.contrib import admin
from django.urls import include, path

from penguinleads.tenancy import views as tenancy_views

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("accounts/", include("penguinleads.accounts.urls")),
    path("leads/", include("leads.urls")),
    path("lists/", include("lists.urls")),
    path("imports/", include("imports.urls")),
    path("exports/", include("exports.urls")),
    path("settings/", tenancy_views.workspace_settings_edit, name="workspace_settings"),
    path("admin/", admin.site.urls),
]

handler403 = "penguinleads.tenancy.views.error_403"
handler404 = "penguinleads.tenancy.views.error_404"
handler500 = "penguinleads.tenancy.views.error_500"
