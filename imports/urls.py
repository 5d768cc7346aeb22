"""The import wizard, its history and remembered mappings (views in imports/views/)."""

from django.urls import path

from imports.views import history, mapping, options, preview, report, run, upload

app_name = "imports"

urlpatterns = [
    path("", history.import_job_list, name="list"),
    path("new/", upload.import_upload, name="upload"),
    path("mappings/", mapping.saved_mapping_list, name="saved_mappings"),
    path(
        "mappings/<int:pk>/delete/",
        mapping.saved_mapping_delete_view,
        name="saved_mapping_delete",
    ),
    # One import: its page routes to the step it is at, the run or the report.
    path("<int:pk>/", history.import_job_detail, name="detail"),
    path("<int:pk>/reread/", upload.import_reread, name="reread"),
    path("<int:pk>/map/", mapping.import_mapping, name="mapping"),
    path("<int:pk>/options/", options.import_options, name="options"),
    path("<int:pk>/preview/", preview.import_preview, name="preview"),
    path("<int:pk>/problems/", preview.import_problems, name="problems"),
    path("<int:pk>/confirm/", run.import_confirm, name="confirm"),
    path("<int:pk>/progress/", run.import_progress, name="progress"),
    path("<int:pk>/cancel/", run.import_cancel, name="cancel"),
    path("<int:pk>/retry/", run.import_retry, name="retry"),
    path("<int:pk>/undo/", report.import_undo, name="undo"),
]
