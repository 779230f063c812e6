"""Thin views: validate input, call a service or a selector, shape the output."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ValidationError

from accounts.authentication import request_user
from accounts.serializers import UserSummarySerializer
from core.api.pagination import PageNumberPagination
from core.api.rows import RowsViewMixin
from core.api.schema import conflict_response
from core.api.validation import validate_input
from core.signals import object_viewed
from feed.apis import follow_response
from feed.serializers import FollowStateSerializer
from search.apis import SearchListMixin
from startups import search, selectors, services
from startups.filters import ApplicationFilter, OpportunityFilter, SaveFilter, StartupFilter
from startups.models import Application, Opportunity, Save, Startup
from startups.serializers import (
    ApplicationInputSerializer,
    ApplicationSerializer,
    OpportunityCreateInputSerializer,
    OpportunitySerializer,
    OpportunityUpdateInputSerializer,
    SaveSerializer,
    StartupInputSerializer,
    StartupSerializer,
    application_output,
    opportunity_output,
    startup_output,
)

WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]
CONFLICT = conflict_response()


class ListFiltersOnlyMixin:
    """Query filters narrow lists only: an object stays reachable by id whatever they say."""

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if getattr(self, "action", None) != "list":
            return queryset
        return super().filter_queryset(queryset)  # type: ignore[misc]


class SaveActionMixin:
    """``POST …/{id}/save/`` bookmarks (201 new, 200 already saved); ``DELETE`` removes (204)."""

    save_target: str

    @extend_schema(request=None, responses={200: SaveSerializer, 201: SaveSerializer, 204: None})
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path="save",
        permission_classes=[permissions.IsAuthenticated],
    )
    def save_toggle(self, request: Request, pk: str | None = None) -> Response:
        target = {self.save_target: self.get_object()}  # type: ignore[attr-defined]
        if request.method == "DELETE":
            services.save_delete(user=request_user(request), **target)
            return Response(status=status.HTTP_204_NO_CONTENT)
        save, created = services.save_create(user=request_user(request), **target)
        return Response(
            SaveSerializer(save).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    create=extend_schema(request=StartupInputSerializer, responses={201: StartupSerializer}),
    partial_update=extend_schema(request=StartupInputSerializer, responses=StartupSerializer),
)
@extend_schema(tags=["startups"])
class StartupViewSet(
    RowsViewMixin, SearchListMixin, ListFiltersOnlyMixin, SaveActionMixin, viewsets.ModelViewSet
):
    queryset = Startup.objects.none()
    serializer_class = StartupSerializer
    filterset_class = StartupFilter
    ordering_fields = ["created_at", "name"]
    http_method_names = WRITE_METHODS
    save_target = "startup"
    search_index = search.STARTUPS

    def get_queryset(self) -> QuerySet[Startup]:
        return selectors.startup_list(viewer=self.request.user)

    def row_ids(self) -> QuerySet[Startup]:
        return selectors.startup_id_list()

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return selectors.startup_rows(ids=ids, viewer=self.request.user)

    def row_output(self, row: dict[str, Any]) -> dict[str, Any]:
        return startup_output(row)

    @extend_schema(
        tags=["follows"],
        request=None,
        responses={200: FollowStateSerializer, 201: FollowStateSerializer, 204: None},
    )
    @action(
        detail=True, methods=["post", "delete"], permission_classes=[permissions.IsAuthenticated]
    )
    def follow(self, request: Request, pk: str | None = None) -> Response:
        """Follow a startup (its new opportunities reach your feed and notifications)."""
        startup = self.get_object()
        return follow_response(request=request, target=startup)

    @extend_schema(tags=["follows"], responses=UserSummarySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def followers(self, request: Request, pk: str | None = None) -> Response:
        """Who follows this startup."""
        startup = self.get_object()
        page = self.paginate_queryset(selectors.startup_follower_list(startup=startup))
        return self.get_paginated_response(UserSummarySerializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.row_get()
        startup = Startup(pk=row["id"], owner_id=row["owner_id"])  # its keys, for the checks
        self.check_object_permissions(request, startup)
        object_viewed.send(sender=Startup, instance=startup, viewer=request.user)
        return Response(startup_output(row))

    def _output(self, startup: Startup, status_code: int = status.HTTP_200_OK) -> Response:
        startup = self.get_queryset().get(pk=startup.pk)
        return Response(self.get_serializer(startup).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validate_input(StartupInputSerializer, request.data)
        startup = services.startup_create(owner=request_user(request), data=data)
        return self._output(startup, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        startup = self.get_object()
        data = validate_input(StartupInputSerializer, request.data, partial=True)
        return self._output(
            services.startup_update(startup=startup, by=request_user(request), data=data)
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.startup_delete(startup=self.get_object(), by=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        request=OpportunityCreateInputSerializer, responses={201: OpportunitySerializer}
    ),
    partial_update=extend_schema(
        request=OpportunityUpdateInputSerializer, responses=OpportunitySerializer
    ),
)
@extend_schema(tags=["opportunities"])
class OpportunityViewSet(
    RowsViewMixin, SearchListMixin, ListFiltersOnlyMixin, SaveActionMixin, viewsets.ModelViewSet
):
    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    ordering_fields = ["created_at", "title", "compensation_max"]
    http_method_names = WRITE_METHODS
    save_target = "opportunity"
    search_index = search.OPPORTUNITIES
    throttle_scope: str | None = None  # "apply" names one for its action (rate limits)

    def get_queryset(self) -> QuerySet[Opportunity]:
        return selectors.opportunity_list(viewer=self.request.user)

    def row_ids(self) -> QuerySet[Opportunity]:
        return selectors.opportunity_id_list()

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return selectors.opportunity_rows(ids=ids, viewer=self.request.user)

    def row_output(self, row: dict[str, Any]) -> dict[str, Any]:
        return opportunity_output(row)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.row_get()
        startup = Startup(pk=row["startup__id"], owner_id=row["startup__owner_id"])
        opportunity = Opportunity(pk=row["id"], startup=startup)  # its keys, for the checks
        self.check_object_permissions(request, opportunity)
        object_viewed.send(sender=Opportunity, instance=opportunity, viewer=request.user)
        return Response(opportunity_output(row))

    def _output(self, opportunity: Opportunity, status_code: int = status.HTTP_200_OK) -> Response:
        opportunity = self.get_queryset().get(pk=opportunity.pk)
        return Response(self.get_serializer(opportunity).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validate_input(OpportunityCreateInputSerializer, request.data)
        startup = selectors.startup_get(startup_id=data.pop("startup"))
        if startup is None:
            raise ValidationError({"startup": ["No startup with this id."]})
        opportunity = services.opportunity_create(
            startup=startup, by=request_user(request), data=data
        )
        return self._output(opportunity, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        opportunity = self.get_object()
        data = validate_input(OpportunityUpdateInputSerializer, request.data, partial=True)
        opportunity = services.opportunity_update(
            opportunity=opportunity, by=request_user(request), data=data
        )
        return self._output(opportunity)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.opportunity_delete(opportunity=self.get_object(), by=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ApplicationInputSerializer,
        responses={201: ApplicationSerializer, **CONFLICT},
        summary="Apply to this opportunity (talent only, once)",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated],
        throttle_scope="apply",  # the rate limit (core/api/ratelimit.py)
    )
    def apply(self, request: Request, pk: str | None = None) -> Response:
        data = validate_input(ApplicationInputSerializer, request.data)
        application = services.application_create(
            opportunity=self.get_object(), applicant=request_user(request), **data
        )
        application = selectors.application_list(viewer=request_user(request)).get(
            pk=application.pk
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["applications"])
class ApplicationViewSet(RowsViewMixin, ListFiltersOnlyMixin, viewsets.ReadOnlyModelViewSet):
    """Applications you made, and applications to your startups' opportunities."""

    queryset = Application.objects.none()
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "updated_at"]
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.application_list(viewer=request_user(self.request))

    def row_ids(self) -> QuerySet[Application]:
        return self.get_queryset()

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        return selectors.application_rows(ids=ids, viewer=request_user(self.request))

    def row_output(self, row: dict[str, Any]) -> dict[str, Any]:
        return application_output(row)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.row_get()
        application = Application(pk=row["id"], applicant_id=row["applicant_id"])
        self.check_object_permissions(request, application)
        return Response(application_output(row))

    def _transition(self, request: Request, service: Any) -> Response:
        application = service(application=self.get_object(), by=request_user(request))
        return Response(self.get_serializer(application).data)

    @extend_schema(request=None, responses={200: ApplicationSerializer, **CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The startup's owner accepts a pending application."""
        return self._transition(request, services.application_accept)

    @extend_schema(request=None, responses={200: ApplicationSerializer, **CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """The startup's owner rejects a pending application."""
        return self._transition(request, services.application_reject)

    @extend_schema(request=None, responses={200: ApplicationSerializer, **CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """The applicant withdraws a pending or accepted application."""
        return self._transition(request, services.application_withdraw)


@extend_schema(tags=["saved"], summary="My saved startups and opportunities, newest first")
class SavedListApi(generics.ListAPIView):
    queryset = Save.objects.none()
    serializer_class = SaveSerializer
    filterset_class = SaveFilter
    permission_classes = [permissions.IsAuthenticated]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Save]:
        return selectors.save_list(user=request_user(self.request))
