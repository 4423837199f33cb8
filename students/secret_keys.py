"""Secrets handed to clients once (API tokens, calendar feed URLs) and kept only as hashes.

Each secret comes with a short public prefix to find its row by; the secret itself is 256 random
bits, so a plain SHA-256 is enough (no slow password hash), and it is compared in constant time.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedSecret:
    prefix: str  # stored, and shown as part of the key
    secret: str  # shown once, never stored
    digest: str  # stored

    @property
    def key(self) -> str:
        return f"{self.prefix}_{self.secret}"


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_secret() -> IssuedSecret:
    secret = secrets.token_urlsafe(32)
    return IssuedSecret(prefix=secrets.token_hex(6), secret=secret, digest=digest_of(secret))


def secret_matches(digest: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``digest`` was made from, in time independent of where
    they differ."""
    return hmac.compare_digest(digest, digest_of(secret))
