"""API clients as principals: issuing, checking and revoking tokens.

A request authenticated by a token runs as a ``ClientPrincipal``: it is authenticated, is never a
superuser or anyone's staff, and sees exactly the schools its client was registered for
(``students.permissions.visible_schools`` asks it). Tokens look like ``rs_<prefix>_<secret>``.

A token's principal (its token and client rows and the client's school ids) is kept in Django's
cache by the token's public prefix, with the secret's digest, so a busy client's requests check
their key without a query. Revocation must still work at once, so every change to a token or
client (the revoke services here, and signals for edits in the admin) marks the cached entries of
its tokens *stale* before its transaction commits: a stale entry sends requests to the database
and cannot be overwritten by a request that read the old rows (fills only ``cache.add``), and
expires with the longest life a cached principal has.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from rocketship.cache import CACHE_ERRORS, best_effort, cache_skipped, read_and_count

from .errors import DomainError
from .models import ApiClient, ApiToken, Network, School
from .secret_keys import issue_secret, secret_matches

TOKEN_PREFIX = "rs"
# last_used_at is bookkeeping for leaders ("is this token still used?"), not an audit trail:
# writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


@dataclass(frozen=True, eq=False)
class ClientPrincipal:
    """The ``request.user`` of a token-authenticated request."""

    client: ApiClient
    token: ApiToken
    # The schools the client was registered for (the same set ``visible_schools`` queries),
    # so a hot endpoint can answer "not yours" without a query.
    school_ids: frozenset[int] = frozenset()

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
    by: User | None,
) -> ApiClient:
    """Register a client for ``schools`` (all of ``network``)."""
    outside = [s.name for s in schools if s.network_id != network.pk]
    if outside:
        raise DomainError(
            gettext("%(schools)s is not a school of %(network)s.")
            % {"schools": ", ".join(outside), "network": network.name},
            errors={"schools": [gettext("Choose schools of the client's network.")]},
        )
    if not schools:
        raise DomainError(
            gettext("A client needs at least one school."),
            errors={"schools": [gettext("Required.")]},
        )
    if ApiClient.objects.filter(network=network, name=name).exists():
        raise DomainError(
            gettext("%(network)s already has a client named %(name)r.")
            % {"network": network.name, "name": name},
            errors={"name": [gettext("Choose another name.")]},
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
        raise DomainError(
            gettext("%(client)s is revoked; register a new client instead.")
            % {"client": client.name}
        )
    issued = issue_secret()
    token = ApiToken.objects.create(client=client, prefix=issued.prefix, key_hash=issued.digest)
    return token, f"{TOKEN_PREFIX}_{issued.key}"


def api_token_revoke(*, token: ApiToken) -> None:
    with transaction.atomic():
        forget_principals([token.prefix])
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def api_client_revoke(*, client: ApiClient) -> None:
    """Revoke the client and every token it holds."""
    now = timezone.now()
    with transaction.atomic():
        forget_client_principals(client.pk)
        ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
        client.tokens.filter(revoked_at__isnull=True).update(revoked_at=now)


# --- the principal cache ------------------------------------------------------------------------

# A cached principal lives until its token's last_used_at is due again (at most this long), so
# the bookkeeping write still happens about every LAST_USED_RESOLUTION of use.
PRINCIPAL_CACHE_SECONDS = int(LAST_USED_RESOLUTION.total_seconds())
# The marker of a principal that changed: ask the database, and cache nothing, until it expires.
# It outlives any entry filled from rows read before the change (those fill with add, which a
# marker blocks), so an old principal can never come back.
STALE = "stale"


def principal_cache_key(prefix: str) -> str:
    return f"api:principal:{prefix}"


def forget_principals(prefixes: Iterable[str]) -> None:
    """Mark these tokens' cached principals stale. Called *before* the change commits (and
    again if it rolls back nothing is lost: stale only means "read the database"). Fails
    closed: a Redis error is raised, and the change rolls back (a 503, ``rocketship.cache``)."""
    keys = [principal_cache_key(prefix) for prefix in prefixes]
    if keys:
        cache.set_many(dict.fromkeys(keys, STALE), PRINCIPAL_CACHE_SECONDS)


def forget_client_principals(client_id: int) -> None:
    """Mark the cached principals of every token of client ``client_id`` stale (its schools, its
    write grant or its revocation changed)."""
    forget_principals(ApiToken.objects.filter(client_id=client_id).values_list("prefix", flat=True))


def principal_for_key(key: str) -> ClientPrincipal | None:
    """The principal of a presented key, or None for a malformed, unknown or revoked one."""
    return principal_and_cached(key).principal


@dataclass(frozen=True)
class TokenRead:
    principal: ClientPrincipal | None
    cached: dict[str, Any]
    count: int | None = None


# Which client each token prefix belongs to, as this process has seen them. A token never
# changes client, so this never goes stale (revocation is the principal's business); it lets a
# request count against its client's rate before the principal is read. Bounded by a reset.
_TOKEN_CLIENTS: dict[str, int] = {}
_TOKEN_CLIENTS_MAX = 10_000


def _split(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    return parts[1], parts[2]


def known_client_of(key: str) -> int | None:
    """The client of a presented key's token, if this process has seen the token before."""
    split = _split(key)
    return _TOKEN_CLIENTS.get(split[0]) if split is not None else None


def _remember_client(prefix: str, principal: ClientPrincipal) -> None:
    if len(_TOKEN_CLIENTS) >= _TOKEN_CLIENTS_MAX:
        _TOKEN_CLIENTS.clear()
    _TOKEN_CLIENTS[prefix] = principal.client.pk


def _refused(found: dict[str, Any], counted: str | None) -> TokenRead:
    """No principal; a request counted against the client before its key was checked is taken
    back, so someone who knows only a token's public prefix cannot spend its client's budget."""
    if counted is not None:
        best_effort.decr(counted)
    return TokenRead(None, found)


def principal_and_cached(
    key: str, also: Collection[str] = (), *, counter: tuple[str, int] | None = None
) -> TokenRead:
    """``principal_for_key(key)``, and the cache entries named ``also`` (those found), read in
    the same cache round trip as the principal: an endpoint that needs another cached value on
    every request (see ``PublishedScheduleView.cache_keys_with_principal``) saves one. With
    ``counter`` (a key and its timeout), the same round trip counts the request in that window
    counter and ``count`` is its new value."""
    split = _split(key)
    if split is None:
        return TokenRead(None, {})
    prefix, secret = split
    cache_key = principal_cache_key(prefix)
    count = None
    # Redis down or restarting: the database answers (found nothing, counted nothing) and
    # nothing is cached, so no answer read while the cache was unreadable is ever kept.
    readable = True
    try:
        if counter is not None:
            found, count = read_and_count([cache_key, *also], *counter)
        else:
            found = cache.get_many([cache_key, *also])
    except CACHE_ERRORS as error:
        cache_skipped("token principal read", error)
        found, readable = {}, False
    counted = counter[0] if count is not None and counter is not None else None
    cached = found.pop(cache_key, None)
    if cached is not None and cached != STALE:
        key_hash, principal = cached
        if not secret_matches(key_hash, secret):
            return _refused(found, counted)
        _remember_client(prefix, principal)
        return TokenRead(principal, found, count)
    token = (
        ApiToken.objects.select_related("client")
        .filter(prefix=prefix, revoked_at__isnull=True, client__revoked_at__isnull=True)
        .first()
    )
    if token is None or not secret_matches(token.key_hash, secret):
        return _refused(found, counted)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    principal = ClientPrincipal(
        client=token.client,
        token=token,
        school_ids=frozenset(token.client.schools.values_list("pk", flat=True)),
    )
    if cached is None and readable:  # never over a stale marker (add), nor blind
        due = LAST_USED_RESOLUTION - (now - token.last_used_at)
        best_effort.add(cache_key, (token.key_hash, principal), max(1, int(due.total_seconds())))
    _remember_client(prefix, principal)
    return TokenRead(principal, found, count)
