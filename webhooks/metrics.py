from prometheus_client import Counter

DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook delivery attempts finished, by status (succeeded, failed).",
    ["status"],
)
