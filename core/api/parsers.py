import re
from typing import Any

from rest_framework import exceptions, parsers

# A lone surrogate (e.g. the JSON escape "\ud800") is valid JSON but not text: no database,
# log line or UTF-8 response can hold it. A pair (an emoji) decodes to one code point.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(data: Any) -> bool:
    """Whether any string in decoded JSON (keys included) holds a lone surrogate. Iterative:
    JSON nested as deep as the parser accepts cannot exhaust the stack here."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; absurdly nested JSON and text that is not Unicode (lone surrogates)
    are a 400, not a RecursionError or an encoding error later (500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
        if has_lone_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate (\\ud800-\\udfff), "
                "which is not valid Unicode text."
            )
        return data
