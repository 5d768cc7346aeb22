"""Admin for lists. Members are edited one row at a time (never an inline that
loads every member), and every add or remove goes through the services so
member counts stay exact."""

from django.contrib import admin

from leads.models import Lead
from lists.models import LeadList, ListMembership
from lists.services import list_add_leads, list_create, list_delete, list_remove_leads
from penguinleads.admin_site import TellsWhenBusyAdmin


@admin.register(LeadList)
class LeadListAdmin(TellsWhenBusyAdmin, admin.ModelAdmin):
    list_display = ["name", "member_count", "created_by", "created_at", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["member_count", "created_by", "created_at", "updated_at"]
    fields = ["name", "description", *readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = list_create(actor=request.user, name=obj.name, description=obj.description)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        list_delete(actor=request.user, lead_list=obj)

    def delete_queryset(self, request, queryset):
        self.delete_all_or_none(
            queryset, lambda lead_list: list_delete(actor=request.user, lead_list=lead_list)
        )


@admin.register(ListMembership)
class ListMembershipAdmin(admin.ModelAdmin):
    list_display = ["lead", "lead_list", "added_via", "added_at", "added_by"]
    list_filter = ["lead_list", "added_via"]
    search_fields = ["lead__email_key", "lead__last_name"]
    autocomplete_fields = ["lead", "lead_list"]
    list_select_related = ["lead", "lead_list", "added_by"]
    show_full_result_count = False
    fields = ["lead_list", "lead"]

    # Members are added and removed by whoever may manage list members (the roles grant
    # no permission on the link model itself); without this, deleting a lead or a
    # list with members in the admin was refused for lack of "delete list membership".
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("lists.view_leadlist")

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("lists.manage_list_members")

    def has_change_permission(self, request, obj=None) -> bool:
        # A membership is added or removed, never edited into another one.
        return obj is None and request.user.has_perm("lists.manage_list_members")

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("lists.manage_list_members")

    def save_model(self, request, obj, form, change):
        list_add_leads(
            actor=request.user,
            lead_list=obj.lead_list,
            leads=Lead.objects.filter(pk=obj.lead_id),
        )
        obj.pk = ListMembership.objects.get(lead_list=obj.lead_list, lead_id=obj.lead_id).pk

    def delete_model(self, request, obj):
        list_remove_leads(
            actor=request.user, lead_list=obj.lead_list, leads=Lead.objects.filter(pk=obj.lead_id)
        )

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("lead_list"):
            self.delete_model(request, membership)
