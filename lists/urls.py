"""The lists pages (views in lists/views/)."""

from django.urls import path

from lists.views import members, pages

app_name = "lists"

urlpatterns = [
    # The lists page and one list (lists/views/pages.py).
    path("", pages.list_list, name="list"),
    path("new/", pages.list_create_view, name="create"),
    path("<int:pk>/", pages.list_detail, name="detail"),
    path("<int:pk>/edit/", pages.list_update_view, name="update"),
    path("<int:pk>/delete/", pages.list_delete_view, name="delete"),
    # Members (lists/views/members.py): from the list's page, the leads list, a lead's profile.
    path("<int:pk>/remove/", members.list_remove, name="remove"),
    path("<int:pk>/add/", members.list_add, name="add"),
    path("bulk/", members.list_bulk, name="bulk"),
    path("lead/<int:lead_pk>/", members.lead_lists, name="lead_lists"),
    path("lead/<int:lead_pk>/add/", members.lead_add, name="lead_add"),
    path("<int:pk>/lead/<int:lead_pk>/remove/", members.lead_remove, name="lead_remove"),
]
