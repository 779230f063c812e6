# Takes over feed's spent-ticket table (feed 0004 created it, feed 0007 let it go) under its
# old name: no row is lost, and servers of the previous release, still running during a
# rolling deploy after `migrate`, keep finding it.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("feed", "0007_ticket_use_moves_to_realtime"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TicketUse",
                    fields=[
                        (
                            "ticket_hash",
                            models.CharField(max_length=64, primary_key=True, serialize=False),
                        ),
                        ("used_at", models.DateTimeField(db_index=True)),
                    ],
                    options={"db_table": "feed_realtimeticketuse"},
                ),
            ],
        ),
    ]
