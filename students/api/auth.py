"""``Authorization: Token <key>`` for REST clients; the browser keeps its session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..clients import ClientPrincipal, principal_for_key


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
        principal = principal_for_key(key)
        if principal is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return principal, principal.token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
