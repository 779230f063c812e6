"""Webhooks in the admin: endpoints through the same services as the API (a generated secret
shown once, the built-in one left to its setting), deliveries read-only with a redeliver
action."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from rest_framework import serializers

from core.exceptions import ApplicationError
from webhooks import services, transport
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import WebhookEndpointInputSerializer


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "include_private", "is_active"]

    def clean_event_types(self) -> list[str]:
        """As the API checks them: a list of declared action types, or ["*"]."""
        given = self.cleaned_data["event_types"]
        if not isinstance(given, list) or not all(isinstance(t, str) for t in given) or not given:
            raise forms.ValidationError('A list of event types, e.g. ["application_created"].')
        try:
            return WebhookEndpointInputSerializer().validate_event_types(given)
        except serializers.ValidationError as exc:
            raise forms.ValidationError(exc.detail) from exc  # type: ignore[arg-type]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        try:
            transport.addresses_check(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)
        except (transport.UnsafeURL, transport.Unresolvable) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookEndpointForm
    list_display = ["url", "is_active", "builtin", "consecutive_failures", "disabled_at",
                    "created_at"]  # fmt: skip
    list_filter = ["is_active", "builtin"]
    search_fields = ["url", "description"]
    readonly_fields = ["builtin", "consecutive_failures", "disabled_at", "disabled_reason",
                       "created_by", "created_at", "updated_at"]  # fmt: skip

    def get_readonly_fields(self, request: Any, obj: WebhookEndpoint | None = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.builtin:  # EXTERNAL_WEBHOOK_URL's: only on/off here
            fields += ["url", "description", "event_types", "include_private"]
        return fields

    def has_delete_permission(self, request: Any, obj: WebhookEndpoint | None = None) -> bool:
        return not (obj is not None and obj.builtin) and super().has_delete_permission(request, obj)

    def save_model(self, request: Any, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data}
        if change:
            services.endpoint_update(endpoint=obj, data=data)
            return
        created = services.endpoint_create(by=request.user, data=form.cleaned_data)
        obj.pk = created.pk
        messages.warning(
            request,
            f"The endpoint's secret, shown this once: {created.secret} -- the receiver "
            "verifies X-CollabHub-Signature with it.",
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["delivery_id", "endpoint", "event_type", "event_id", "trigger", "attempt",
                    "status", "response_code", "duration_ms", "created_at"]  # fmt: skip
    list_filter = ["status", "trigger", "event_type"]
    search_fields = ["delivery_id", "event_type"]
    list_select_related = ["endpoint"]
    actions = ["redeliver"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver the selected deliveries' events")
    def redeliver(self, request: Any, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = 0
        for delivery in queryset:
            try:
                services.delivery_redeliver(delivery=delivery)
                sent += 1
            except ApplicationError as exc:
                messages.error(request, f"{delivery.delivery_id}: {exc.message}")
        if sent:
            messages.success(request, f"{sent} redelivery(ies) queued.")
