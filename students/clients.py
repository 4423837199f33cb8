"""API clients as principals: issuing, checking and revoking tokens.

A request authenticated by a token runs as a ``ClientPrincipal``: it is authenticated, is never a
superuser or anyone's staff, and sees exactly the schools its client was registered for
(``students.roles.visible_schools`` asks it). Tokens look like ``rs_<prefix>_<secret>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .errors import DomainError
from .models import ApiClient, ApiToken, Network, School
from .secret_keys import issue_secret, secret_matches

TOKEN_PREFIX = "rs"
# last_used_at is bookkeeping for leaders ("is this token still used?"), not an audit trail:
# writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = timezone.timedelta(minutes=5)


@dataclass(frozen=True, eq=False)
class ClientPrincipal:
    """The ``request.user`` of a token-authenticated request."""

    client: ApiClient
    token: ApiToken

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def get_username(self) -> str:
        return f"api-client:{self.client.pk}"

    @property
    def api_client(self) -> ApiClient:
        return self.client

    @property
    def can_write(self) -> bool:
        return self.client.can_write

    def __str__(self) -> str:
        return self.get_username()


def api_client_create(
    *,
    network: Network,
    name: str,
    schools: list[School],
    can_write: bool,
    by: AbstractBaseUser | None,
) -> ApiClient:
    """Register a client for ``schools`` (all of ``network``)."""
    outside = [s.name for s in schools if s.network_id != network.pk]
    if outside:
        raise DomainError(
            f"{', '.join(outside)} is not a school of {network.name}.",
            errors={"schools": ["Choose schools of the client's network."]},
        )
    if not schools:
        raise DomainError("A client needs at least one school.", errors={"schools": ["Required."]})
    if ApiClient.objects.filter(network=network, name=name).exists():
        raise DomainError(
            f"{network.name} already has a client named {name!r}.",
            errors={"name": ["Choose another name."]},
        )
    with transaction.atomic():
        client = ApiClient.objects.create(
            network=network, name=name, can_write=can_write, created_by=by
        )
        client.schools.set(schools)
    return client


def api_token_issue(*, client: ApiClient) -> tuple[ApiToken, str]:
    """A new token for ``client`` and its key, which is shown this once and never stored."""
    if not client.active:
        raise DomainError(f"{client.name} is revoked; register a new client instead.")
    issued = issue_secret()
    token = ApiToken.objects.create(client=client, prefix=issued.prefix, key_hash=issued.digest)
    return token, f"{TOKEN_PREFIX}_{issued.key}"


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_client_revoke(*, client: ApiClient) -> None:
    """Revoke the client and every token it holds."""
    now = timezone.now()
    with transaction.atomic():
        ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
        client.tokens.filter(revoked_at__isnull=True).update(revoked_at=now)


def principal_for_key(key: str) -> ClientPrincipal | None:
    """The principal of a presented key, or None for a malformed, unknown or revoked one."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    _, prefix, secret = parts
    token = (
        ApiToken.objects.select_related("client")
        .filter(prefix=prefix, revoked_at__isnull=True, client__revoked_at__isnull=True)
        .first()
    )
    if token is None or not secret_matches(token.key_hash, secret):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return ClientPrincipal(client=token.client, token=token)
