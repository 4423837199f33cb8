"""REST clients and their tokens.

A district system, a display board or a family app reads published schedules (and, when granted
write, pushes Learning Lab progress or asks for builds) as an *API client* that a leader or
network admin registers for some schools of their network. The client holds *tokens*; a token
is shown once when issued and stored only as a SHA-256 hash of its secret (a random 256-bit key
needs no slow hash), found by its public prefix. Revoking a token or the client stops it at once.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .schools import Network, School


class ApiClient(models.Model):
    school_scope: ClassVar[str] = "schools"

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField(
        max_length=120, help_text=_("e.g. 'District SIS sync', 'Hall display'.")
    )
    schools = models.ManyToManyField(School, related_name="api_clients")
    can_write = models.BooleanField(
        default=False, help_text=_("May push progress records and request builds.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="api_client_name_per_network")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiToken(models.Model):
    school_scope: ClassVar[str] = "client__schools"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-created_at"]

    def __str__(self) -> str:
        return f"token {self.prefix} of {self.client}"
