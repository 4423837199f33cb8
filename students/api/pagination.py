"""Page-number pagination that refuses nonsense instead of guessing.

``?page=`` and ``?page_size=`` must be whole numbers written in ASCII digits: a negative, zero,
non-numeric or oversized value answers 400 with the offending parameter under ``errors``, never a
500 and never a silently clamped page. A page past the last one answers 400 too (DRF says 404):
the list itself exists, so "not found" would read like a wrong school or a missing resource on
the same URL; it is the ``page`` parameter that is wrong, and the client is told which is the
last page. The first page of an empty list is an empty page, not an error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.views import APIView

# Large enough for a whole school's students on one page (a big school has ~1,000: two pages),
# small enough that one request cannot ask the server to serialise a network.
MAX_PAGE_SIZE = 500
_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = 30  # beyond this a number is nonsense whatever it counts; do not even convert it


class StrictPageNumberPagination(PageNumberPagination):
    page_query_param = "page"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # "?page=last" is not a number; the response's links say where it is

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        errors: dict[str, list[str]] = {}
        page_size = self._parameter(request, self.page_size_query_param, errors)
        number = self._parameter(request, self.page_query_param, errors)
        if page_size is not None and page_size > self.max_page_size:
            errors[self.page_size_query_param] = [
                ngettext(
                    "At most %(most)d result fits on one page; you asked for %(asked)d.",
                    "At most %(most)d results fit on one page; you asked for %(asked)d.",
                    self.max_page_size,
                )
                % {"most": self.max_page_size, "asked": page_size}
            ]
        if errors:
            raise ValidationError(errors)

        paginator = Paginator(queryset, page_size or self.default_page_size())
        number = number or 1
        if number > paginator.num_pages:
            raise ValidationError(
                {
                    self.page_query_param: [
                        gettext("Page %(number)d is past the last page, %(last)d.")
                        % {"number": number, "last": paginator.num_pages}
                    ]
                }
            )
        self.page = paginator.page(number)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def default_page_size(self) -> int:
        # Read when used, not at import, so a settings override (tests) takes effect.
        return api_settings.PAGE_SIZE or 100

    def _parameter(self, request: Request, name: str, errors: dict[str, list[str]]) -> int | None:
        """The parameter as a positive int, None when absent; a message in ``errors`` when not."""
        if name not in request.query_params:
            return None
        raw = request.query_params[name]
        if not _DIGITS.fullmatch(raw):
            errors[name] = [
                gettext("Give a whole number of 1 or more, not %(given)r.") % {"given": raw[:20]}
            ]
            return None
        if len(raw) > _MAX_DIGITS:
            errors[name] = [gettext("%(given)s... is far too large.") % {"given": raw[:10]}]
            return None
        value = int(raw)
        if value < 1:
            errors[name] = [gettext("Give a whole number of 1 or more.")]
            return None
        return value

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1 to the last page.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.default_page_size()}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
