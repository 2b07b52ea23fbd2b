"""Tokens as the app holds them, and the claims of an id_token.

A :class:`TokenSet` masks itself in ``repr`` so that a stray log line or
traceback never shows a token (docs/security.md (a)27).
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import IdTokenError, TokenError

#: A tenant id as Microsoft writes it.
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: Allowed clock difference for exp/iat, in seconds (docs/security.md (a)22).
CLOCK_SKEW = 120


def mask(secret: str | None) -> str:
    """Show only that a secret exists and its length, never its content."""
    if not secret:
        return "(none)"
    return f"••••••••({len(secret)} characters)"


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint granted.

    Attributes:
        access_token: The bearer token for API calls.
        token_type: Normally ``Bearer``.
        expires_at: Epoch seconds when the access token expires, if known.
        refresh_token: Present when the provider issued one.
        id_token: The raw id_token (OpenID providers).
        granted_scopes: The scopes the provider says it granted. When the
            answer names none, RFC 6749 §5.1 says they equal the requested ones.
        obtained_at: Epoch seconds when the tokens were received.
    """

    access_token: str = field(repr=False)
    token_type: str = "Bearer"  # noqa: S105 - a type name, not a secret
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    granted_scopes: tuple[str, ...] = ()
    obtained_at: float = 0.0

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={mask(self.access_token)}, token_type={self.token_type!r}, "
            f"expires_at={self.expires_at!r}, refresh_token={mask(self.refresh_token)}, "
            f"id_token={mask(self.id_token)}, granted_scopes={self.granted_scopes!r})"
        )

    __str__ = __repr__

    def to_json(self) -> str:
        """Serialise for the keyring (and only for the keyring)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "token_type": self.token_type,
                "expires_at": self.expires_at,
                "refresh_token": self.refresh_token,
                "id_token": self.id_token,
                "granted_scopes": list(self.granted_scopes),
                "obtained_at": self.obtained_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Read what :meth:`to_json` wrote; raise TokenError on anything else."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
                raise ValueError
            return cls(
                access_token=data["access_token"],
                token_type=str(data.get("token_type") or "Bearer"),
                expires_at=_optional_float(data.get("expires_at")),
                refresh_token=_optional_str(data.get("refresh_token")),
                id_token=_optional_str(data.get("id_token")),
                granted_scopes=tuple(str(s) for s in data.get("granted_scopes") or ()),
                obtained_at=float(data.get("obtained_at") or 0.0),
            )
        except (ValueError, TypeError):
            raise TokenError("The stored tokens are unreadable; sign in again.") from None

    @classmethod
    def from_response(
        cls, data: dict[str, Any], requested_scopes: tuple[str, ...], now: float
    ) -> TokenSet:
        """Build from a token endpoint answer (RFC 6749 §5.1), checking its shape."""
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise TokenError("The provider's answer contains no access token.")
        token_type = data.get("token_type", "Bearer")
        if not isinstance(token_type, str):
            raise TokenError("The provider's answer has an invalid token_type.")
        expires_in = data.get("expires_in")
        expires_at: float | None = None
        if expires_in is not None:
            # A string or a negative number is a broken answer (docs/security.md (b)14).
            if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
                raise TokenError("The provider's answer has an expires_in that is not a number.")
            if expires_in <= 0:
                raise TokenError("The provider's answer says the token has already expired.")
            expires_at = now + float(expires_in)
        scope = data.get("scope")
        if scope is None:
            granted = requested_scopes
        elif isinstance(scope, str):
            # RFC 6749 §3.3 separates scopes with spaces; GitHub uses commas.
            granted = tuple(scope.split() if " " in scope else filter(None, scope.split(",")))
        else:
            raise TokenError("The provider's answer has a scope that is not text.")
        return cls(
            access_token=access_token,
            token_type=token_type,
            expires_at=expires_at,
            refresh_token=_optional_str(data.get("refresh_token")),
            id_token=_optional_str(data.get("id_token")),
            granted_scopes=granted,
            obtained_at=now,
        )

    def merged_after_refresh(self, new: TokenSet) -> TokenSet:
        """Keep the old refresh token and id_token when a refresh returns none
        (RFC 6749 §6; docs/security.md (a)23)."""
        return replace(
            new,
            refresh_token=new.refresh_token or self.refresh_token,
            id_token=new.id_token or self.id_token,
        )

    def seconds_left(self, now: float | None = None) -> float | None:
        """Seconds until the access token expires (negative once expired)."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's payload without checking its signature.

    Used for display and for the claim checks below; the token itself came
    straight from the token endpoint over TLS (OIDC Core §3.1.3.7, item 6).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise IdTokenError("The id_token is not a JWT (it does not have three parts).")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise IdTokenError("The id_token is not valid base64url-encoded JSON.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise IdTokenError("The id_token's header or claims are not JSON objects.")
    if str(header.get("alg", "")).lower() == "none":
        raise IdTokenError("The id_token is unsigned (alg: none); it is refused.")
    return claims


def id_token_claims(tokens: TokenSet) -> dict[str, Any]:
    """The decoded claims of ``tokens.id_token`` (empty without one)."""
    return decode_jwt_claims(tokens.id_token) if tokens.id_token else {}


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_id_token_claims(
    claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str | None, now: float
) -> None:
    """Check the claims OIDC Core §3.1.3.7 requires; raise IdTokenError naming the failed one.

    Messages name the check, never the claim's value. ``nonce`` is None only for
    grants that send none (the device grant, RFC 8628).
    """
    if not issuer_matches(issuer, claims):
        raise IdTokenError("The id_token was issued by a different issuer (iss check failed).")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise IdTokenError("The id_token is meant for another application (aud check failed).")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenError("The id_token has several audiences but azp is not this app.")
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int | float) or isinstance(claims.get(name), bool):
            raise IdTokenError(f"The id_token has no valid {name} claim.")
    if claims["exp"] + CLOCK_SKEW < now:
        raise IdTokenError(
            "The id_token has expired. If you just signed in, check your computer's clock."
        )
    if claims["iat"] - CLOCK_SKEW > now:
        raise IdTokenError("The id_token was issued in the future; check your computer's clock.")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf - CLOCK_SKEW > now:
        raise IdTokenError("The id_token is not valid yet; check your computer's clock.")
    got = claims.get("nonce")
    if nonce is not None and (
        not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode())
    ):
        raise IdTokenError("The id_token's nonce does not match this sign-in (nonce check failed).")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise IdTokenError("The id_token has no subject (sub).")


def issuer_matches(expected: str, claims: Mapping[str, Any]) -> bool:
    """Whether an id_token's ``iss`` is the expected issuer.

    An exact string comparison (OIDC Core §3.1.3.7), except for Microsoft's
    multi-tenant template ``https://login.microsoftonline.com/{tenantid}/v2.0``:
    there ``{tenantid}`` is replaced by the token's own ``tid`` claim, which must
    be a GUID, and the result compared exactly. That is how Microsoft's
    documentation says multi-tenant apps validate the issuer, and it still
    refuses a token from any other issuer.
    """
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return False
    if "{tenantid}" not in expected:
        return iss == expected
    tid = claims.get("tid")
    if not isinstance(tid, str) or not GUID.match(tid):
        return False
    return iss == expected.replace("{tenantid}", tid)
