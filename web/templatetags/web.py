from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.dateparse import parse_datetime

register = template.Library()


@register.filter
def when(value: str | datetime | None) -> str:
    """An API timestamp (ISO 8601) as people say it: "3 minutes ago"."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    return str(naturaltime(moment)) if moment else ""
