from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from messaging.models import Message
        from observability.metrics import business_metric_register

        business_metric_register("messages", Message.objects.count, "Direct messages sent.")

        from messaging.selectors import message_resume_list
        from realtime.resume import resume_source_register

        resume_source_register(
            message_type="message", param="messages_after", fetch=message_resume_list
        )
