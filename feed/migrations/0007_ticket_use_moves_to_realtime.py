# The spent-ticket table now belongs to the realtime app (realtime 0001 takes it over and
# renames it); here it only leaves feed's state, and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0006_event_types_declared_by_apps"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RealtimeTicketUse")],
        ),
    ]
