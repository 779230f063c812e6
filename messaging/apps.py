from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from messaging.models import Message
        from observability.metrics import business_metric_register

        business_metric_register("messages", Message.objects.count, "Direct messages sent.")

        from feed.realtime import resume_source_register
        from messaging.selectors import messages_after

        resume_source_register("message", "messages_after", messages_after)
