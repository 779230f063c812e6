import factory
from factory.django import DjangoModelFactory

from experiments.models import Experiment, Exposure
from tests.accounts.factories import UserFactory

FEED_VARIANTS = [
    {"key": "control", "weight": 50, "config": {"personal": 0.6, "interest": 0.4}},
    {"key": "more_interest", "weight": 50, "config": {"personal": 0.3, "interest": 0.7}},
]


class ExperimentFactory(DjangoModelFactory):
    class Meta:
        model = Experiment

    key = factory.Sequence(lambda n: f"experiment-{n}")
    name = factory.Sequence(lambda n: f"Experiment {n}")
    target = "feed_composition"
    variants = factory.LazyFunction(lambda: [dict(v) for v in FEED_VARIANTS])
    primary_metric = "follow_rate"
    min_sample_size = 10


class ExposureFactory(DjangoModelFactory):
    class Meta:
        model = Exposure

    experiment = factory.SubFactory(ExperimentFactory)
    user = factory.SubFactory(UserFactory)
    variant = "control"
