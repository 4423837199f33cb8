"""``Authorization: Token <key>`` for REST clients; the browser keeps its session.

A view may name cache entries it needs on every token request (``cache_keys_with_principal``);
they are read with the token's principal in one cache round trip and left on the request as
``request.cache_prefetched`` (the entries found). Only what is cached is shared this way, and
the view still decides what the entries mean.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..clients import ClientPrincipal, principal_and_cached


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
        principal, request.cache_prefetched = principal_and_cached(key, also)
        if principal is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return principal, principal.token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
