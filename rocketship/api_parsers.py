"""The API's JSON parser: DRF's, with a bound on nesting.

Python's ``json`` recurses once per level of nesting, so a body of 100,000 ``[`` raises
``RecursionError``, which DRF's parser does not catch (a 500); a body just under the
interpreter's limit parses, and then every serializer, renderer or log line that walks it
recurses as deep. No request of this API nests more than a few levels, so anything deeper than
``MAX_JSON_DEPTH`` is refused as a parse error (400 problem JSON) before a view sees it.

``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` names it, and a view that picks its parsers picks
this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` deep (iteratively, so a
    deep value cannot exhaust the stack here either)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    max_depth = MAX_JSON_DEPTH

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = _("JSON parse error - the body nests more than %(depth)d levels deep.") % {
            "depth": self.max_depth
        }
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep) from None
        if json_depth_exceeds(data, self.max_depth):
            raise ParseError(too_deep)
        return data
