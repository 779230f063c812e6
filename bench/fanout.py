"""Fan-out benchmark: the Celery task that notifies a startup's followers of one event, with its
pushes sent in one go against one push per notification (the shape before), in the same run.

    .venv/bin/python bench/fanout.py                     # or: make bench-fanout (about a minute)
    .venv/bin/python bench/fanout.py --followers 300,3000 --rounds 5

Starts a throwaway PostgreSQL 15 + Redis (``scripts/services.sh``; Redis is the cache and the
channel layer, as deployed), migrates it and creates, for each ``--followers`` count, a startup
followed by that many people, a tenth of them online (a channel in their ``user.<id>`` group,
as an open socket has). Then, in ``--rounds`` rounds, records an ``opportunity_posted`` event
and times ``feed.services.event_fanout_run`` -- the task's body: the notifications written in
one transaction, then, after the commit, each to its recipient's sockets and the event to the
feeds it enters -- once as it is (``realtime.services.socket_pushes``: every push on one event
loop) and once with the baseline, one ``socket_push`` per notification (each its own
``async_to_sync`` loop and channel-layer connection), in turns (neither always first).
Prints the medians, and the baseline ÷ ours ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line  # noqa: E402


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    from accounts.models import User
    from feed import registry
    from feed import services as feed_services
    from feed.models import ActivityEvent, Follow, Notification
    from feed.serializers import event_message, notification_messages
    from realtime import services as realtime
    from realtime.messages import user_group
    from startups.models import Opportunity, Startup

    call_command("migrate", verbosity=0)
    batched = feed_services._push_notifications

    def one_push_each(event_id: int) -> None:
        """The baseline: the same pushes, each notification serialised and sent on its own."""
        notifications = Notification.objects.filter(event_id=event_id).select_related(
            "event__actor"
        )
        for notification in notifications:
            (message,) = notification_messages([notification])
            realtime.socket_push(user_ids=[notification.recipient_id], message=message)
        event = ActivityEvent.objects.select_related("actor").get(pk=event_id)
        audience = feed_services.feed_audience_list(event=event)
        realtime.socket_push(user_ids=audience, message=event_message(event))
        declared = registry.event_type_find(event.action_type)
        for user_ids, message in declared.pushes(event) if declared and declared.pushes else ():
            realtime.socket_push(user_ids=list(user_ids), message=message)

    layer = get_channel_layer()
    results = []
    for count in args.followers:
        founder = User.objects.create_user(
            email=f"founder-{count}@bench.example", name="Founder", role="founder"
        )
        startup = Startup.objects.create(
            owner=founder, name=f"Bench {count}", slug=f"bench-{count}", industry="ai"
        )
        fans = User.objects.bulk_create(
            User(email=f"fan-{count}-{i}@bench.example", name=f"Fan {i}") for i in range(count)
        )
        startup_type = ContentType.objects.get_for_model(Startup)
        Follow.objects.bulk_create(
            Follow(follower=fan, target_type=startup_type, target_id=startup.pk) for fan in fans
        )
        for fan in fans[::10]:  # online: a channel in the group, as an open socket has
            async_to_sync(layer.group_add)(user_group(fan.pk), f"bench.{count}.{fan.pk}")
        opportunity = Opportunity.objects.create(
            startup=startup, title="Engineer", kind="full-time"
        )
        timings: dict[str, list[float]] = {"ours": [], "baseline": []}
        for round_ in range(args.rounds + 1):  # the first round warms up, and is not counted
            order = ["ours", "baseline"] if round_ % 2 else ["baseline", "ours"]
            for name in order:
                event = ActivityEvent.objects.create(
                    action_type="opportunity_posted",
                    actor=founder,
                    startup_id=startup.pk,
                    target_type=ContentType.objects.get_for_model(Opportunity),
                    target_id=opportunity.pk,
                    snapshot={"title": opportunity.title},
                )
                feed_services._push_notifications = batched if name == "ours" else one_push_each
                started = time.perf_counter()
                notified = feed_services.event_fanout_run(event_id=event.pk)
                elapsed = time.perf_counter() - started
                assert notified == count, (notified, count)
                if round_:
                    timings[name].append(elapsed)
        results.append({"followers": count, **timings})
    feed_services._push_notifications = batched
    print(json.dumps({"results": results}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--followers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[300, 3000],
        help="comma-separated follower counts (300,3000)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import child_on_postgres

    print(machine_line())
    child_args = ["--followers", ",".join(map(str, args.followers)), "--rounds", str(args.rounds)]
    result = child_on_postgres(__file__, child_args, "fan-out", redis=True)
    print(f"one fan-out task (PostgreSQL + Redis channel layer), median of {args.rounds}:")
    for row in result["results"]:
        ours, baseline = statistics.median(row["ours"]), statistics.median(row["baseline"])
        print(f"  {row['followers']:>6,} followers: ours {ours * 1000:7.0f} ms, one push each "
              f"{baseline * 1000:7.0f} ms -- {baseline / ours:.1f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
