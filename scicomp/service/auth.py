"""JWT bearer tokens (HS256): creation for ``scicomp token`` and verification.

A token carries ``sub``, ``permissions`` (a subset of :data:`PERMISSIONS`),
``iat`` and ``exp``. Verification accepts HS256 only, so ``alg: none`` and
tokens signed with another algorithm or key are rejected. ``admin`` grants
every permission.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

__all__ = [
    "PERMISSIONS",
    "AuthError",
    "Principal",
    "TokenVerifier",
    "create_token",
    "verify_token",
    "parse_ttl",
    "parse_permissions",
]

PERMISSIONS = ("signal", "stochastic", "optimize", "linalg", "admin")
ALGORITHM = "HS256"
_TTL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_TTL_SCALE = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class AuthError(Exception):
    """A request's credentials are refused; ``status`` is 401 or 403."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    user: str
    permissions: frozenset[str]

    def allows(self, permission: str) -> bool:
        return "admin" in self.permissions or permission in self.permissions


def parse_ttl(text: str) -> int:
    """Seconds in a lifetime such as ``90``, ``30m``, ``24h`` or ``7d``."""
    match = _TTL_RE.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"--ttl {text!r}: expected a positive duration such as 3600, 30m, 24h or 7d")
    return int(float(match.group(1)) * _TTL_SCALE[match.group(2).lower()])


def parse_permissions(text: str | Iterable[str]) -> list[str]:
    """Validate a comma-separated (or iterable) permission list."""
    items = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    bad = [p for p in items if p not in PERMISSIONS]
    if bad or not items:
        raise ValueError(f"--permissions {text!r}: expected a comma-separated subset of {', '.join(PERMISSIONS)}")
    return list(dict.fromkeys(items))


def create_token(secret: bytes, user: str, permissions: Iterable[str], ttl_seconds: int, now: float | None = None) -> str:
    """A signed HS256 token for ``user`` with ``permissions``, valid ``ttl_seconds``."""
    if not user or not isinstance(user, str):
        raise ValueError("--user: must be a non-empty string")
    issued = int(time.time() if now is None else now)
    payload = {"sub": user, "permissions": parse_permissions(permissions), "iat": issued, "exp": issued + int(ttl_seconds)}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


class TokenVerifier:
    """:func:`verify_token` with a small cache of verified tokens (their expiry is still checked every time)."""

    def __init__(self, secret: bytes, size: int = 4096):
        self._secret = secret
        self._size = size
        self._cache: dict[str, tuple[Principal, float]] = {}

    def __call__(self, authorization: str | None) -> Principal:
        hit = self._cache.get(authorization) if authorization else None
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal, expires = _verify(self._secret, authorization)
        if len(self._cache) >= self._size:
            self._cache.clear()
        self._cache[authorization] = (principal, expires)
        return principal


def verify_token(secret: bytes, authorization: str | None) -> Principal:
    """Check an ``Authorization`` header value; raise :class:`AuthError` (401) when it is not a valid token."""
    return _verify(secret, authorization)[0]


def _verify(secret: bytes, authorization: str | None) -> tuple[Principal, float]:
    if not authorization:
        raise AuthError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(401, "malformed Authorization header: expected 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "permissions", "iat", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "the token has expired") from None
    except jwt.InvalidSignatureError:
        raise AuthError(401, "the token's signature is invalid") from None
    except jwt.InvalidAlgorithmError:
        raise AuthError(401, f"the token's algorithm is not allowed (only {ALGORITHM})") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(401, f"the token lacks the {exc.claim!r} claim") from None
    except jwt.InvalidTokenError:
        raise AuthError(401, "the token is malformed or invalid") from None
    permissions = claims.get("permissions")
    user = claims.get("sub")
    if not isinstance(user, str) or not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise AuthError(401, "the token's 'sub' must be a string and 'permissions' a list of strings")
    return Principal(user=user, permissions=frozenset(permissions)), float(claims["exp"])
