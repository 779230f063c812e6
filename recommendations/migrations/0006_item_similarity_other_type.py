from typing import Any

from django.db import migrations, models
from django.db.models import F


def same_type(apps: Any, schema_editor: Any) -> None:
    """Until the next rebuild, the stored neighbours are what they were: of the item's type."""
    ItemSimilarity = apps.get_model("recommendations", "ItemSimilarity")
    ItemSimilarity.objects.update(other_type=F("item_type"))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0005_skill_affinity"),
    ]

    operations = [
        migrations.AddField(
            model_name="itemsimilarity",
            name="other_type",
            field=models.CharField(
                choices=[("startup", "Startup"), ("opportunity", "Opportunity")],
                default="startup",
                max_length=12,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(same_type, migrations.RunPython.noop),
    ]
