"""Secrets: argon2 password hashes and random API tokens stored hashed.

An API token reads `vigie_<token_id>_<secret>`. The `token_id` is not secret: it finds the
user in one indexed lookup. Only a SHA-256 hash of the 256-bit random `secret` is stored, and
compared in constant time. A fast hash is the right tool for a long random secret (there is
nothing to brute-force), and it keeps authentication off the request's critical path; slow
argon2 is kept for passwords, which people choose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "IssuedToken",
    "hash_password",
    "hash_token_secret",
    "issue_token",
    "parse_token",
    "token_matches",
    "verify_password",
]

TOKEN_PREFIX = "vigie"
_TOKEN = re.compile(r"^vigie_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class IssuedToken:
    """A new API token. `plaintext` is shown once to its owner and never stored."""

    token_id: str
    secret_hash: str
    plaintext: str


def issue_token() -> IssuedToken:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(token_id, hash_token_secret(secret), f"{TOKEN_PREFIX}_{token_id}_{secret}")


def parse_token(plaintext: str) -> tuple[str, str] | None:
    """`(token_id, secret)` of a well-formed token, else None."""
    match = _TOKEN.match(plaintext)
    return (match.group(1), match.group(2)) if match else None


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token_secret(secret), stored_hash)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
