"""Who may import a network's rosters: the pages and the API ask here.

An import creates, updates and ends schools, cohorts, students and staff across the whole
network, so it is a network admin's action (or a superuser's), never a school leader's or a
teacher's. The answer follows the project's rule for ids: a network the caller cannot see at all
answers 404 (its existence is private, the attempt is audited); a network the caller sees (they
work at one of its schools) but may not import into answers 403 with the reason.

An API client's token acts for the network only when the client is *network-wide*: registered
for every school of that network, holding the write grant, and registered by someone who
administers the network now (a network admin or a superuser). Clients are registered per set of
schools, and leaders register clients for the schools they lead; without the last condition a
leader of a one-school network could import by registering a client for "every" school, and a
progress-pushing client would gain the power to end every student. ``import_refusal`` says which
condition failed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import ApiClient, Network, NetworkAdmin
from .roles import AnyUser
from .scoping import get_scoped_or_404

LEADERS_MAY_NOT = (
    "Roster imports change every school of the network, so only the network's admins can "
    "import rosters; ask one of them."
)
READ_ONLY = "This client's tokens are read-only; a leader can grant it write."


def administers(user: AnyUser, network: Network | int) -> bool:
    """A person (not a token) who is a superuser or an admin of ``network`` (or its id)."""
    if not user.is_authenticated or not user.is_active or hasattr(user, "api_client"):
        return False
    network_id = network.pk if isinstance(network, Network) else network
    return bool(
        user.is_superuser or NetworkAdmin.objects.filter(user=user, network_id=network_id).exists()
    )


def client_refusal(client: ApiClient, network: Network) -> str | None:
    """Why ``client`` (of ``network``) may not import its rosters, or None when it may."""
    if not client.active or not client.can_write:
        return READ_ONLY
    missing = network.schools.exclude(pk__in=client.schools.values("pk"))
    if missing.exists():
        return (
            "A roster import changes every school of the network: register this client for "
            "every school of the network to import with it."
        )
    creator = client.created_by
    if creator is None or not administers(creator, network):
        return (
            "Only a client registered by one of the network's admins can import rosters; "
            "leaders' clients cannot."
        )
    return None


def import_refusal(user: AnyUser, network: Network) -> str | None:
    """Why ``user`` (a person or a token's principal who can see ``network``) may not import
    into it, or None."""
    client = getattr(user, "api_client", None)
    if client is not None:
        return client_refusal(client, network)
    if administers(user, network):
        return None
    return LEADERS_MAY_NOT


def get_import_network_or_404(user: AnyUser, network_id: int, *, via: str) -> Network:
    """The network ``user`` may import rosters into: 404 when they cannot see it, 403 (with
    the reason) when they see it but may not import."""
    network = Network.objects.filter(pk=network_id).first()
    if network is None or not administers(user, network):
        # Not an admin: the network must be among what they see (a token: its client's).
        network = get_scoped_or_404(Network.objects.all(), user, via=via, pk=network_id)
    refusal = import_refusal(user, network)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return network
