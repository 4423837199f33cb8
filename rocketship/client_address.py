"""The address a request came from, the one every limit keyed by address uses.

``X-Forwarded-For`` is believed only behind a proxy the settings name, since any client can send
the header: with neither ``TRUSTED_PROXIES`` nor ``TRUSTED_PROXY_COUNT`` set (the default) the
address is ``REMOTE_ADDR`` and the header is ignored.

- ``TRUSTED_PROXIES``: addresses or networks (``10.0.0.0/8``) of our own proxies. When the
  request arrives from one of them, the header is read from the right, skipping our proxies'
  own addresses; the first address that is not one of them is the client.
- ``TRUSTED_PROXY_COUNT``: for proxies whose addresses are not known (a cloud load balancer), how
  many stand in front of the app. Each appends the address it was reached from, so the client
  is the count-th address from the right; anything a client wrote itself stands further left.

The login lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``), the password-reset limit and the
API's anonymous rate all call ``client_address``.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR`` unless a trusted proxy forwarded the request."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if not networks and count <= 0:
        return remote
    if networks and not _is_trusted(remote, networks):
        return remote  # not through our proxy: whatever the header says was written by the client
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if count > 0:
        # Fewer hops than proxies: the request did not pass them all; trust none of the header.
        candidate = hops[-count] if len(hops) >= count else remote
    else:
        candidate = next((hop for hop in reversed(hops) if not _is_trusted(hop, networks)), remote)
    return candidate if _is_address(candidate) else remote
