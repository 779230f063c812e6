from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def external_webhook_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.EXTERNAL_WEBHOOK_URL and not settings.EXTERNAL_WEBHOOK_SECRET:
        return [
            Error(
                "EXTERNAL_WEBHOOK_URL is set but EXTERNAL_WEBHOOK_SECRET is not.",
                hint="Set EXTERNAL_WEBHOOK_SECRET: deliveries are signed with it, and the "
                "receiver verifies them with it. Until then nothing is sent there.",
                id="webhooks.E001",
            )
        ]
    return []
