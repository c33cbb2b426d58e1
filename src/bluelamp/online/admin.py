"""Admin for the Single Online Home: each force's destination (configuration), and read-only
views of reports, deliveries (failing ones first, with the last error) and the local email
outbox. Changes to reports go through the services, so they are audited."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from bluelamp.core.access import scoped
from bluelamp.core.models import User
from bluelamp.online.models import Delivery, Destination, Report, SentMessage


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["force", "kind", "enabled", "email", "url"]
    list_filter = ["kind", "enabled"]


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ["reference", "force", "journey", "category", "status", "submitted_at", "acknowledged_at"]
    list_filter = ["force", "journey", "status"]
    search_fields = ["reference"]
    exclude = ["reporter_name", "reporter_email", "reporter_phone", "answers", "people", "vehicles",
               "tracking_code_hash", "idempotency_key"]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped(super().get_queryset(request), cast(User, request.user), permission="online.view_report")


@admin.action(description="Try again now")
def retry_now(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:  # type: ignore[type-arg]
    count = queryset.exclude(state=Delivery.State.DELIVERED).update(
        state=Delivery.State.PENDING, next_attempt_at=timezone.now()
    )
    modeladmin.message_user(request, f"{count} deliveries will be tried again.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["report", "update", "state", "attempts", "next_attempt_at", "last_error", "delivered_at"]
    list_filter = ["state", "report__force"]
    ordering = ["state", "-attempts", "next_attempt_at"]
    actions = [retry_now]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and request.user.has_perm("online.change_delivery")  # the action only

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped(
            super().get_queryset(request),
            cast(User, request.user),
            permission="online.view_delivery",
            force_field="report__force",
        )


@admin.register(SentMessage)
class SentMessageAdmin(ReadOnly):
    list_display = ["subject", "sent_at"]
