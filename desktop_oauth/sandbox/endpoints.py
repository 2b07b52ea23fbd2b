"""The protocol endpoints, served by oauthlib's server classes.

``oauthlib.openid.Server`` handles authorization, token (authorization_code,
refresh_token and the RFC 8628 device_code grant), revocation, introspection,
userinfo and bearer checks; ``DeviceAuthorizationEndpoint`` hands out device
codes. This module feeds them requests and turns their answers into responses.

Three things are not oauthlib's here, and why:

- the discovery document is built as a plain dict: oauthlib's
  ``MetadataEndpoint`` refuses an ``http://`` issuer (even on loopback) unless
  all its checks are switched off, and it knows none of the OpenID Connect,
  RFC 8628 and RFC 9207 fields the sandbox must announce;
- "S256 only" is a pre-authorization validator (:func:`require_s256`):
  oauthlib accepts ``plain`` and treats a missing method as ``plain``;
- the device grant answers with an id_token when ``openid`` was granted
  (:class:`OpenIDDeviceCodeGrant`), as the code grant does: oauthlib's is
  plain OAuth, and a client cannot tell whose account it got without one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from oauthlib.common import urldecode
from oauthlib.oauth2 import DeviceAuthorizationEndpoint
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant
from oauthlib.openid import Server

from .catalog import DEVICE_CODE_GRANT, SCOPES
from .device_codes import DeviceCodes, new_user_code
from .keys import ALGORITHM, SigningKey
from .validator import SandboxValidator
from .web import (
    FORM_TYPE,
    WebRequest,
    WebResponse,
    error_json,
    json_response,
    oauthlib_response,
    single,
)

#: RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def require_s256(request: Any) -> dict[str, Any]:
    """Refuse authorization requests without PKCE S256 (RFC 9700 §2.1.1, RFC 7636 §4.4.1).

    Registered with oauthlib as a ``pre_auth`` validator, so it runs after the
    client and redirect URI are known good: its error is redirected back to
    the client as ``invalid_request``.
    """
    if not request.code_challenge:
        raise errors.MissingCodeChallengeError(
            description="PKCE is required: send code_challenge with code_challenge_method=S256.",
            request=request,
        )
    if request.code_challenge_method != "S256":
        raise errors.InvalidRequestError(
            description="Only code_challenge_method=S256 is accepted (PKCE 'plain' is not).",
            request=request,
        )
    if not _S256_CHALLENGE.fullmatch(request.code_challenge):
        raise errors.InvalidRequestError(
            description="code_challenge is not a base64url SHA-256 value.", request=request
        )
    return {}


def require_query_mode(request: Any) -> dict[str, Any]:
    """Refuse any ``response_mode`` but ``query``: the discovery document advertises
    query only (OAuth 2.0 Multiple Response Types §2.1), and a code in a fragment
    is exposed to the page's scripts and history. A ``pre_auth`` validator too."""
    mode = getattr(request, "response_mode", None)
    if mode not in (None, "query"):
        raise errors.InvalidRequestError(
            description="Only response_mode=query is supported.", request=request
        )
    return {}


class OpenIDDeviceCodeGrant(DeviceCodeGrant):  # type: ignore[misc]  # untyped base
    """The RFC 8628 device grant, answering with an id_token too when ``openid`` was
    granted (OIDC Core §3.1.3.3 for the code grant; OpenID providers do the same
    for the device grant). The id_token carries no nonce: the device grant sends none.
    """

    def __init__(self, validator: SandboxValidator) -> None:
        super().__init__(validator)
        self._validator = validator

    def create_token_response(self, request: Any, token_handler: Any) -> tuple[Any, str, int]:
        headers, body, status = super().create_token_response(request, token_handler)
        if status != 200 or "openid" not in (request.scopes or ()):
            return headers, body, status
        token = json.loads(body)
        claims = {"aud": request.client_id, "at_hash": _at_hash(token["access_token"])}
        token["id_token"] = self._validator.finalize_id_token(claims, token, token_handler, request)
        return headers, json.dumps(token), status


def _at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the left half of the token's SHA-256, base64url (RS256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def _new_token(request: Any) -> str:
    """Opaque access and refresh tokens: 256 bits from ``secrets``."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class BearerCheck:
    """The outcome of checking a request's access token for a resource.

    ``refusal`` is the answer to send when the token does not do; ``user_id``
    is known whenever the token itself is valid (even if its scope is not).
    """

    user_id: str | None
    client_id: str | None
    scopes: tuple[str, ...]
    refusal: WebResponse | None


class OAuthEndpoints:
    """Every protocol endpoint of one sandbox.

    Args:
        validator: The sandbox's oauthlib validator.
        key: The id_token key (for the JWKS).
        devices: Where device codes are kept.
        issuer: The sandbox's issuer.
        instance: The sandbox's instance id, announced for health checks.
        access_token_ttl: Access token lifetime in seconds.
        device_interval: RFC 8628 polling interval in seconds.
        device_code_ttl: Lifetime of device and user codes in seconds.
        clock: Wall-clock seconds.
    """

    def __init__(
        self,
        validator: SandboxValidator,
        key: SigningKey,
        devices: DeviceCodes,
        *,
        issuer: str,
        instance: str,
        access_token_ttl: int,
        device_interval: int,
        device_code_ttl: int,
        clock: Callable[[], float],
    ) -> None:
        self.issuer = issuer
        self._instance = instance
        self._key = key
        self._devices = devices
        self._clock = clock
        self.server = Server(
            validator,
            token_expires_in=access_token_ttl,
            token_generator=_new_token,
            refresh_token_generator=_new_token,
        )
        # Plain OAuth and OpenID requests go through different grant objects.
        for grant in (self.server.auth_grant, self.server.openid_connect_auth):
            grant.custom_validators.pre_auth.append(require_s256)
            grant.custom_validators.pre_auth.append(require_query_mode)
        self.server.device_code_grant = OpenIDDeviceCodeGrant(validator)
        self.server.grant_types[DEVICE_CODE_GRANT] = self.server.device_code_grant
        self.device = DeviceAuthorizationEndpoint(
            validator,
            verification_uri=f"{issuer}/device",
            expires_in=device_code_ttl,
            interval=device_interval,
            verification_uri_complete=f"{issuer}/device?user_code={{user_code}}",
            user_code_generator=new_user_code,
        )
        # One token request at a time: checking a code or refresh token and
        # marking it used must not interleave with another use of the same one.
        self._token_lock = threading.Lock()

    def discovery(self, request: WebRequest) -> WebResponse:
        """OpenID Connect Discovery 1.0 §3 / RFC 8414 §2."""
        issuer = self.issuer
        return json_response(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "revocation_endpoint": f"{issuer}/revoke",
                "introspection_endpoint": f"{issuer}/introspect",
                "device_authorization_endpoint": f"{issuer}/device_authorization",
                "scopes_supported": list(SCOPES),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [ALGORITHM],
                "token_endpoint_auth_methods_supported": ["none"],
                "revocation_endpoint_auth_methods_supported": ["none"],
                "introspection_endpoint_auth_methods_supported": ["none"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "nonce",
                    "name",
                    "preferred_username",
                    "email",
                    "email_verified",
                ],
                # RFC 9207 §3: every authorization response carries iss.
                "authorization_response_iss_parameter_supported": True,
                # Not a standard field: lets another process of the app tell this
                # profile's sandbox from anything else on the port (instance.py).
                "desktop_oauth_sandbox_instance": self._instance,
            }
        )

    def jwks(self, request: WebRequest) -> WebResponse:
        return json_response(self._key.jwks())

    def token(self, request: WebRequest) -> WebResponse:
        body = _text(request)
        if body is None:
            return malformed()
        with self._token_lock:
            try:
                return oauthlib_response(
                    *self.server.create_token_response(
                        request.uri, "POST", body, dict(request.headers)
                    )
                )
            except errors.OAuth2Error as exc:
                return _error(exc)

    def revoke(self, request: WebRequest) -> WebResponse:
        return self._call(self.server.create_revocation_response, request)

    def introspect(self, request: WebRequest) -> WebResponse:
        return self._call(self.server.create_introspect_response, request)

    def userinfo(self, request: WebRequest) -> WebResponse:
        check = self.check_bearer(request, ["openid"])
        if check.refusal is not None:
            return check.refusal
        return self._call(self.server.create_userinfo_response, request)

    def device_authorization(self, request: WebRequest) -> WebResponse:
        """RFC 8628 §3.1-3.2; the codes are stored here, oauthlib only makes them."""
        body = _text(request)
        if body is None:
            return malformed()
        try:
            headers, data, status = self.device.create_device_authorization_response(
                request.uri, "POST", body, dict(request.headers)
            )
        except errors.OAuth2Error as exc:
            return _error(exc)
        if status != 200 or not isinstance(data, dict):
            return oauthlib_response(headers, data if isinstance(data, str) else None, status)
        client_id = single(request.form(), "client_id") or ""
        self._devices.add(
            data["device_code"],
            data["user_code"],
            client_id,
            tuple(str(data.get("scope", "")).split()),
            self._clock() + float(data["expires_in"]),
            float(data["interval"]),
        )
        return json_response(data)

    def check_bearer(self, request: WebRequest, any_of: list[str]) -> BearerCheck:
        """Check the request's access token for a resource that accepts ``any_of`` scopes.

        The token is taken from the Authorization header only: one in the query
        or the body is refused (RFC 6750 §2.3; it would end up in logs).
        """
        # oauthlib reads a form body for tokens; any other body (the API's JSON) is not its.
        is_form = (request.header("Content-Type") or "").startswith(FORM_TYPE)
        body = _text(request if is_form else replace(request, body=b""))
        if body is None:
            return BearerCheck(None, None, (), malformed())
        if "access_token" in request.query_params() or "access_token" in request.form():
            return BearerCheck(
                None,
                None,
                (),
                error_json(
                    400,
                    "invalid_request",
                    "Send the access token in the Authorization header, not in the URL or body.",
                    [("WWW-Authenticate", 'Bearer realm="sandbox", error="invalid_request"')],
                ),
            )
        valid, checked = self.server.verify_request(
            request.uri, request.method, body, dict(request.headers), scopes=any_of
        )
        user = getattr(checked, "user", None)
        client_id = getattr(checked, "client_id", None)
        scopes = tuple(getattr(checked, "scopes", None) or ())
        if valid:
            return BearerCheck(user, client_id, scopes, None)
        if getattr(checked, "sandbox_denial", "") == "insufficient_scope":
            needed = " ".join(any_of)
            return BearerCheck(
                user,
                client_id,
                scopes,
                error_json(
                    403,
                    "insufficient_scope",
                    f"This token was not granted the permission this call needs ({needed}).",
                    [
                        (
                            "WWW-Authenticate",
                            f'Bearer realm="sandbox", error="insufficient_scope", scope="{needed}"',
                        )
                    ],
                ),
            )
        if not request.header("Authorization"):
            # RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
            return BearerCheck(
                None,
                None,
                (),
                error_json(
                    401,
                    "invalid_token",
                    "This call needs an access token (Authorization: Bearer).",
                    [("WWW-Authenticate", 'Bearer realm="sandbox"')],
                ),
            )
        return BearerCheck(
            None,
            None,
            (),
            error_json(
                401,
                "invalid_token",
                "The access token is not valid: expired, revoked or unknown.",
                [("WWW-Authenticate", 'Bearer realm="sandbox", error="invalid_token"')],
            ),
        )

    def _call(
        self, endpoint: Callable[..., tuple[Any, Any, int]], request: WebRequest
    ) -> WebResponse:
        body = _text(request)
        if body is None:
            return malformed()
        try:
            return oauthlib_response(
                *endpoint(request.uri, request.method, body, dict(request.headers))
            )
        except errors.OAuth2Error as exc:
            return _error(exc)


def _text(request: WebRequest) -> str | None:
    """The body as text, if oauthlib can take it: UTF-8, and it and the query
    form-encoded. (Otherwise oauthlib raises ValueError or TypeError, with the
    raw request, secrets included, in the message.)"""
    try:
        body = request.body_text()
        urldecode(request.query)
        urldecode(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return body


def malformed() -> WebResponse:
    return error_json(
        400,
        "invalid_request",
        "The request is not form-encoded (application/x-www-form-urlencoded).",
    )


def _error(exc: Any) -> WebResponse:
    response = oauthlib_response(exc.headers, exc.json, exc.status_code)
    response.content_type = "application/json"
    return response
