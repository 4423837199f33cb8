"""The secrets families sign in with: link tokens and the printed one-time codes.

Only their SHA-256 digests are stored (``Invitation.token_digest``, ``code_digest``,
``SignInLink.token_digest``): a copy of the database lets nobody sign in. A token is 32 random
bytes; a code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), typed from
a paper letter, so a letter's reader never has to guess which character they see.
"""

from __future__ import annotations

import hashlib
import secrets

# 31 characters that read unambiguously on paper in any font: 31**8 ≈ 8.5e11 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_token() -> str:
    """A URL-safe token for a link (43 characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """A one-time code for a printed letter, e.g. ``"K7QM4XRT"``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """What a guardian typed, as stored: upper case, spaces and dashes dropped (the letter
    prints the code in two groups, ``K7QM-4XRT``)."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def digest(secret: str) -> str:
    """The stored form of a token or code: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def formatted_code(code: str) -> str:
    """A code as printed: two groups of four, easier to copy."""
    return f"{code[:4]}-{code[4:]}"
