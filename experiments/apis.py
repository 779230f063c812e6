"""Staff only: define experiments, start and stop them, read their results."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from core.api.validation import validate_input
from experiments import selectors, services
from experiments.exceptions import ExperimentNotFound
from experiments.models import Experiment, ExperimentStatus
from experiments.serializers import ExperimentInputSerializer, ExperimentSerializer


def _experiment(key: str) -> Experiment:
    experiment = selectors.experiment_list().filter(key=key).first()
    if experiment is None:
        raise ExperimentNotFound()
    return experiment


class _StaffApi(APIView):
    permission_classes = [permissions.IsAdminUser]


@extend_schema(tags=["experiments"])
class ExperimentListApi(_StaffApi):
    @extend_schema(summary="Experiments, newest first", responses=ExperimentSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ExperimentSerializer(selectors.experiment_list(), many=True).data)

    @extend_schema(
        summary="Define an experiment (a draft)",
        request=ExperimentInputSerializer,
        responses={201: ExperimentSerializer},
    )
    def post(self, request: Request) -> Response:
        data = validate_input(ExperimentInputSerializer, request.data)
        experiment = services.experiment_create(by=request_user(request), data=data)
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["experiments"])
class ExperimentDetailApi(_StaffApi):
    @extend_schema(summary="An experiment", responses=ExperimentSerializer)
    def get(self, request: Request, key: str) -> Response:
        return Response(ExperimentSerializer(_experiment(key)).data)

    @extend_schema(
        summary="Change an experiment (target, variants and allocation only while a draft)",
        request=ExperimentInputSerializer,
        responses=ExperimentSerializer,
    )
    def patch(self, request: Request, key: str) -> Response:
        experiment = _experiment(key)
        body: Any = request.data
        given = dict(body) if isinstance(body, dict) else body
        if isinstance(given, dict):  # variants are checked against the (new or kept) target
            given = {"target": experiment.target, "variants": experiment.variants, **given}
            given.pop("key", None)
        data = validate_input(ExperimentInputSerializer, given, partial=True)
        experiment = services.experiment_update(experiment=experiment, data=data)
        return Response(ExperimentSerializer(experiment).data)

    @extend_schema(summary="Delete an experiment (not while running)", responses={204: None})
    def delete(self, request: Request, key: str) -> Response:
        services.experiment_delete(experiment=_experiment(key))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["experiments"], request=None, responses=ExperimentSerializer)
class ExperimentStartApi(_StaffApi):
    """Draft → running: people are assigned and exposed from now on."""

    def post(self, request: Request, key: str) -> Response:
        experiment = services.experiment_start(experiment=_experiment(key))
        return Response(ExperimentSerializer(experiment).data)


@extend_schema(tags=["experiments"], request=None, responses=ExperimentSerializer)
class ExperimentStopApi(_StaffApi):
    """Running → stopped: everyone gets the default again; the results are kept."""

    def post(self, request: Request, key: str) -> Response:
        experiment = services.experiment_end(
            experiment=_experiment(key),
            status=ExperimentStatus.STOPPED,
            reason="stopped by staff",
            by=request_user(request),
        )
        return Response(ExperimentSerializer(experiment).data)


@extend_schema(tags=["experiments"], responses=dict)
class ExperimentResultsApi(_StaffApi):
    """Per variant: exposures, converted people, conversion rate, lift vs control with its
    95 % interval and p-value; the overall test, the sample-ratio check, the guardrails and a
    verdict; ``summary``: the row of the live dashboard's experiments table (the leading
    variant's lift). Live while running; as they were at the end afterwards."""

    def get(self, request: Request, key: str) -> Response:
        experiment = _experiment(key)
        ended = experiment.status in (ExperimentStatus.STOPPED, ExperimentStatus.COMPLETED)
        if ended and experiment.results:
            results = experiment.results
        else:
            results = selectors.experiment_results(experiment=experiment)
        summary = selectors.experiment_summary(experiment=experiment, results=results)
        return Response({**results, "summary": summary})
