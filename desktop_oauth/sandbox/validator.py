"""The sandbox's answers to oauthlib's questions: its ``RequestValidator``.

oauthlib's server classes parse and check every request and format every
answer; they ask this class about clients, codes and tokens. Everything is
kept in the SQLite :class:`~desktop_oauth.sandbox.store.Store`.

Lookups from one method to the next within a request are cached on oauthlib's
request object as ``sandbox_*`` attributes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from oauthlib.openid import RequestValidator

from .catalog import CLIENTS, DEFAULT_SCOPES, Client, user_claims
from .device_codes import AUTHORIZED, DeviceCodes
from .keys import SigningKey
from .store import CodeRecord, Store, TokenRecord

#: RFC 6749 §4.1.2 recommends at most 10 minutes; the browser needs seconds.
CODE_TTL = 120.0
ID_TOKEN_TTL = 600


#: RFC 7636 §4.1: code-verifier = 43*128unreserved.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


class SandboxValidator(RequestValidator):  # type: ignore[misc]  # oauthlib is untyped
    """Clients, codes, tokens and device codes for oauthlib, backed by the store.

    Args:
        store: The sandbox's database.
        devices: Device authorizations kept in the same database.
        key: Signs id_tokens.
        issuer: ``iss`` of every id_token and introspection answer.
        clock: Wall-clock seconds (tests pass their own).
    """

    def __init__(
        self,
        store: Store,
        devices: DeviceCodes,
        key: SigningKey,
        issuer: str,
        clock: Callable[[], float],
    ) -> None:
        super().__init__()
        self._store = store
        self._devices = devices
        self._key = key
        self._issuer = issuer
        self._clock = clock

    # -- clients (all public, native: RFC 8252 §8.4) --------------------------------
    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        return client_id in CLIENTS

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        # Only public clients exist. A request that tries to authenticate anyway
        # (Basic auth, a secret) goes through authenticate_client and is refused,
        # instead of being quietly treated as public.
        auth = request.headers.get("Authorization", "")
        return auth.lower().startswith("basic ") or request.client_secret is not None

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        return False  # no confidential clients, so no secret is ever right

    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return False  # no password grant (RFC 9700 §2.4); oauthlib asks before the grant check

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        client = CLIENTS.get(client_id or "")
        if client is None:
            return False
        request.client = client
        return True

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        client = CLIENTS.get(client_id)
        return client is not None and client.accepts_redirect_uri(redirect_uri)

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        return None  # the port varies (RFC 8252 §7.3), so redirect_uri is always required

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return response_type == "code"  # no implicit or hybrid flows (RFC 9700 §2.1.2)

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        known: Client | None = CLIENTS.get(client_id or "")
        return known is not None and grant_type in known.grant_types

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        known = CLIENTS.get(client_id or "")
        return known is not None and bool(scopes) and set(scopes) <= known.scopes

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(DEFAULT_SCOPES)

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        return True  # RFC 9700 §2.1.1; the S256-only rule is in endpoints.require_s256

    # -- OpenID authorization requests ----------------------------------------------------
    def validate_silent_login(self, request: Any) -> bool:
        return False  # prompt=none is answered with login_required: consent is always asked

    def validate_silent_authorization(self, request: Any) -> bool:
        return False

    def validate_user_match(
        self, id_token_hint: Any, scopes: Any, claims: Any, request: Any
    ) -> bool:
        return True

    # -- authorization codes ------------------------------------------------------------------
    def save_authorization_code(
        self, client_id: str, code: dict[str, str], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        self._store.save_code(
            code["code"],
            CodeRecord(
                client_id=client_id,
                user_id=request.user,
                redirect_uri=request.redirect_uri,
                scopes=tuple(request.scopes),
                nonce=request.nonce,
                challenge=request.code_challenge,
                challenge_method=request.code_challenge_method,
                auth_time=request.auth_time,
                expires_at=self._clock() + CODE_TTL,
                used_at=None,
                grant_id=None,
            ),
        )

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> list[str]:
        record = self._store.code(code)
        return list(record.scopes) if record and record.client_id == client_id else []

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> str | None:
        record: CodeRecord | None = getattr(request, "sandbox_code", None)
        return record.nonce if record else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        record = self._store.code(code)
        if record is None or record.client_id != client_id:
            return False
        now = self._clock()
        # Used up by its first presentation, whatever happens next.
        if not self._store.use_code(code, now):
            # RFC 6749 §4.1.2: a code used twice revokes what it produced.
            if record.grant_id:
                self._store.revoke_grant(record.grant_id, now)
            return False
        if now >= record.expires_at:
            return False
        # RFC 7636 §4.1: 43-128 characters from the unreserved set; anything else
        # is refused before any comparison (the code stays used up).
        if not _VERIFIER.fullmatch(getattr(request, "code_verifier", None) or ""):
            return False
        request.user = record.user_id
        request.scopes = list(record.scopes)
        request.auth_time = record.auth_time
        request.sandbox_code = record
        return True

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        record: CodeRecord | None = getattr(request, "sandbox_code", None)
        return record.challenge if record else None

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        record: CodeRecord | None = getattr(request, "sandbox_code", None)
        return record.challenge_method if record else None

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # RFC 6749 §4.1.3: identical to the one in the authorization request.
        record: CodeRecord | None = getattr(request, "sandbox_code", None)
        return record is not None and record.redirect_uri == redirect_uri

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        pass  # already used up in validate_code

    # -- refresh tokens: oauthlib rotates them (rotate_refresh_token) and refreshes the
    # id_token (refresh_id_token) by default, as wanted (RFC 9700 §4.14.2, OIDC Core §12.2).
    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        record = self._store.token(refresh_token)
        if record is None or record.kind != "refresh":
            return False
        if record.grant.client_id != client.client_id or record.grant.revoked_at is not None:
            return False
        if record.rotated_at is not None:
            # A rotated-out refresh token came back: it leaked, or the client lost
            # the new one. Either way the whole grant ends (RFC 9700 §4.14.2).
            self._store.revoke_grant(record.grant.id, self._clock())
            return False
        request.user = record.grant.user_id
        request.auth_time = record.grant.auth_time
        request.sandbox_refresh = record
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        record: TokenRecord | None = getattr(request, "sandbox_refresh", None)
        return list(record.scopes) if record else []

    # -- issuing tokens ---------------------------------------------------------------------
    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        now = self._clock()
        refresh: TokenRecord | None = getattr(request, "sandbox_refresh", None)
        if refresh is not None:
            grant_id, kept_scopes = refresh.grant.id, refresh.scopes
            self._store.rotate_token(request.refresh_token, now)
        else:
            kept_scopes = tuple(request.scopes)
            grant_id = self._store.create_grant(
                request.user, request.client_id, kept_scopes, request.auth_time, now
            )
            if getattr(request, "sandbox_code", None) is not None:
                self._store.link_code(request.code, grant_id)
            if request.device_code:
                self._devices.link_grant(request.device_code, grant_id)
        # OIDC Core §11: a refresh token only with offline_access. The token dict
        # is what oauthlib sends next, so dropping it here drops it from the answer.
        if "offline_access" not in kept_scopes:
            token.pop("refresh_token", None)
        self._store.add_token(
            token["access_token"],
            "access",
            grant_id,
            tuple(request.scopes),
            now,
            now + float(token["expires_in"]),
        )
        if "refresh_token" in token:
            self._store.add_token(
                token["refresh_token"], "refresh", grant_id, kept_scopes, now, None
            )

    def finalize_id_token(
        self, id_token: dict[str, Any], token: dict[str, Any], token_handler: Any, request: Any
    ) -> str:
        # oauthlib fills aud, iat, nonce and at_hash; the rest is the provider's (OIDC Core §2).
        now = int(self._clock())
        claims = dict(id_token)
        claims.update(
            iss=self._issuer,
            sub=request.user,
            iat=now,
            exp=now + ID_TOKEN_TTL,
            auth_time=int(request.auth_time),
        )
        claims.update(user_claims(self._store.user(request.user), request.scopes))
        return self._key.sign(claims)

    # -- using tokens -----------------------------------------------------------------------
    def validate_bearer_token(
        self, token: str | None, scopes: list[str] | None, request: Any
    ) -> bool:
        """Whether ``token`` is an active access token holding ANY of ``scopes``.

        oauthlib leaves the policy to the provider ("all" or "any"); "any" lets
        a resource accept alternatives (/api/profile takes profile.read or
        profile). Why it failed is left on ``request.sandbox_denial``.
        """
        record = self._store.token(token)
        if record is None or record.kind != "access" or not record.active(self._clock()):
            request.sandbox_denial = "invalid_token"
            return False
        request.user = record.grant.user_id
        request.client_id = record.grant.client_id
        request.scopes = list(record.scopes)
        request.sandbox_token = record
        if scopes and not set(scopes) & set(record.scopes):
            request.sandbox_denial = "insufficient_scope"
            return False
        return True

    def validate_jwt_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        request.sandbox_denial = "invalid_token"
        return False  # the sandbox issues opaque access tokens only

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": request.user}
        claims.update(user_claims(self._store.user(request.user), request.scopes))
        return claims

    # -- revocation (RFC 7009) and introspection (RFC 7662) ---------------------------------
    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        # Either kind ends the whole grant (RFC 7009 §2.1 allows it for access tokens).
        record = self._store.token(token)
        if record is not None and record.grant.client_id == request.client_id:
            self._store.revoke_grant(record.grant.id, self._clock())

    def introspect_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        record = self._store.token(token)
        # A public client may look at its own tokens only (RFC 7662 §4).
        if record is None or record.grant.client_id != request.client_id:
            return None
        if not record.active(self._clock()):
            return None
        claims: dict[str, Any] = {
            "scope": " ".join(record.scopes),
            "client_id": record.grant.client_id,
            "sub": record.grant.user_id,
            "username": record.grant.user_id,
            "iss": self._issuer,
            "iat": int(record.issued_at),
            "token_type": "Bearer" if record.kind == "access" else "refresh_token",
        }
        if record.expires_at is not None:
            claims["exp"] = int(record.expires_at)
        return claims

    # -- the device grant (RFC 8628) --------------------------------------------------------
    def validate_device_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        status, record = self._devices.poll(client_id, code, self._clock())
        if status == AUTHORIZED and record is not None:
            request.user = record.user_id
            request.scopes = list(record.granted_scopes)
            request.auth_time = record.auth_time
        return status
