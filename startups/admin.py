from django.contrib import admin
from django.db import models

from startups.models import Application, Opportunity, Save, Startup


class OpportunityInline(admin.TabularInline):
    model = Opportunity
    fields = ["title", "kind", "status", "remote", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    show_change_link = True


@admin.register(Startup)
class StartupAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "industry", "stage", "team_size", "created_at"]
    list_filter = ["industry", "stage", "remote_friendly", "created_at"]
    search_fields = ["name", "slug", "tagline", "owner__email", "owner__name"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["skills"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [OpportunityInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["title", "startup", "kind", "status", "remote", "created_at"]
    list_filter = ["status", "kind", "remote", "created_at"]
    search_fields = ["title", "description", "startup__name"]
    list_select_related = ["startup"]
    autocomplete_fields = ["startup"]
    filter_horizontal = ["skills"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["applicant", "opportunity", "status", "created_at", "decided_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["applicant__email", "applicant__name", "opportunity__title"]
    list_select_related = ["applicant", "opportunity__startup"]
    autocomplete_fields = ["applicant", "opportunity"]
    readonly_fields = ["created_at", "updated_at", "decided_at"]


@admin.register(Save)
class SaveAdmin(admin.ModelAdmin):
    list_display = ["user", "startup", "opportunity", "created_at"]
    search_fields = ["user__email", "startup__name", "opportunity__title"]
    list_select_related = ["user", "startup", "opportunity"]
    autocomplete_fields = ["user", "startup", "opportunity"]
    readonly_fields = ["created_at"]
