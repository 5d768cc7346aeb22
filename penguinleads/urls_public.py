"""The public site on the bare domain: landing, find your workspace, health, platform admin."""

from django.contrib import admin
from django.urls import path

from penguinleads.tenancy import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("find/", views.workspace_find, name="workspace_find"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
