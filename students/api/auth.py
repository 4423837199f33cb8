"""``Authorization: Token <key>`` for REST clients; the browser keeps its session.

A view may name cache entries it needs on every token request (``cache_keys_with_principal``);
they are read with the token's principal in one cache round trip and left on the request as
``request.cache_prefetched`` (the entries found). Only what is cached is shared this way, and
the view still decides what the entries mean. The same round trip counts the request against
its client's rate when this process already knows the token's client (``students.api.throttling``).

With Redis down or restarting, the token is checked against the database and nothing is cached
(``students.clients.principal_and_cached``); a database that cannot answer either is a 503 with
Retry-After (``rocketship.unavailable``), never a 500.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..clients import ClientPrincipal, known_client_of, principal_and_cached
from .throttling import client_window


class ClientTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[ClientPrincipal, object] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token as 'Token <key>'."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        view = (request.parser_context or {}).get("view")
        wanted = getattr(view, "cache_keys_with_principal", None)
        also = wanted() if wanted is not None else ()
        client_id = known_client_of(key)
        window = client_window(client_id) if client_id is not None else None
        counter = (window.key, window.timeout) if window is not None else None
        read = principal_and_cached(key, also, counter=counter)
        # Our own attributes on DRF's request (read by the views and the throttle).
        principal = read.principal
        request.cache_prefetched = read.cached  # type: ignore[attr-defined]
        if read.count is not None and window is not None:
            request.throttle_counted = (window.key, read.count)  # type: ignore[attr-defined]
        if principal is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return principal, principal.token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
