from django.urls import path

from leads.views import custom_fields, lead_list, profile, tags

app_name = "leads"

urlpatterns = [
    # The list, its htmx table, selection and bulk actions (leads/views/lead_list.py).
    path("", lead_list.lead_list, name="list"),
    path("bulk/", lead_list.bulk_action_create, name="bulk"),
    path("bulk/<int:pk>/", lead_list.bulk_action_detail, name="bulk_detail"),
    path("columns/", lead_list.lead_columns_save, name="columns"),
    path("sample.csv", lead_list.lead_sample_csv, name="sample_csv"),
    # One lead (leads/views/profile.py).
    path("new/", profile.lead_create, name="create"),
    path("<int:pk>/", profile.lead_detail, name="detail"),
    path("<int:pk>/edit/", profile.lead_update, name="update"),
    path("<int:pk>/delete/", profile.lead_delete, name="delete"),
    # Tags and custom fields (leads/views/tags.py, leads/views/custom_fields.py).
    path("tags/", tags.tag_list, name="tags"),
    path("tags/<int:pk>/", tags.tag_update, name="tag_update"),
    path("tags/<int:pk>/merge/", tags.tag_merge, name="tag_merge"),
    path("tags/<int:pk>/delete/", tags.tag_delete, name="tag_delete"),
    path("fields/", custom_fields.custom_field_list, name="custom_fields"),
    path("fields/new/", custom_fields.custom_field_create, name="custom_field_create"),
    path("fields/<int:pk>/", custom_fields.custom_field_update, name="custom_field_update"),
    path("fields/<int:pk>/delete/", custom_fields.custom_field_delete, name="custom_field_delete"),
]
