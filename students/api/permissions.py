"""The write scope of API clients.

A token's client reads unless a leader granted it write (``ApiClient.can_write``); a read-only
token asking to change anything gets 403. A signed-in user passes here: the views that write
check on their own that the user leads the school concerned, as the pages do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class CanWrite(BasePermission):
    """Safe methods for any authenticated caller; other methods for a token only when its client
    holds the write grant. Anonymous callers are refused, which DRF answers with 401."""

    message = gettext_lazy("This client's tokens are read-only; a leader can grant it write.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        client = getattr(user, "api_client", None)
        if client is None:
            return True
        return bool(client.active and client.can_write)
