"""API tokens: kept as SHA-256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from rung.errors import ServingAuthError

__all__ = ["TokenCheck", "hash_token"]


def hash_token(token: str) -> str:
    """The SHA-256 hex digest a server keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCheck:
    """Checks ``Authorization: Bearer <token>`` against a stored hash.

    Args:
        token_hash: :func:`hash_token` of the token; None lets every request in.
    """

    def __init__(self, token_hash: str | None) -> None:
        self.token_hash = token_hash

    @property
    def is_enabled(self) -> bool:
        """True when requests need the token."""
        return self.token_hash is not None

    def check(self, authorization: str | None) -> None:
        """Raise ServingAuthError unless the header carries the right token."""
        if self.token_hash is None:
            return
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ServingAuthError(
                "This endpoint needs the API token: send the header "
                "'Authorization: Bearer <token>'."
            )
        if not hmac.compare_digest(hash_token(given.strip()), self.token_hash):
            raise ServingAuthError("The API token is wrong.")
