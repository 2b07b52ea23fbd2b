"""The device authorization grant (RFC 8628): connecting where no browser opens here.

The person reads a short code in the window and enters it at the provider's
verification page, on this or any other device; the app polls the token
endpoint meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from . import flow_log
from .errors import (
    AuthorizationDeniedError,
    ConfigurationError,
    FlowCancelledError,
    FlowTimeoutError,
    ProviderHTTPError,
    TokenError,
)
from .exchange import post_token_request
from .http import json_object, send
from .id_token_validation import provider_keys, validate_id_token
from .provider import ProviderConfig
from .tokens import TokenSet

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 §3.2: without an interval, clients wait 5 seconds between polls.
DEFAULT_INTERVAL = 5.0
#: §3.5: slow_down adds 5 seconds to the interval for this and later polls.
SLOW_DOWN_STEP = 5.0
#: §3.5: after a failed request (provider unreachable, busy, or an answer that is
#: not an OAuth one) the next poll waits twice as long; after this many in a row
#: the sign-in fails.
MAX_FAILED_POLLS = 3


@dataclass(frozen=True)
class DeviceAuthorization:
    """What the person needs to see, and what the app polls with (RFC 8628 §3.2)."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_at: float
    interval: float
    device_code: str = field(repr=False)


def start_device_authorization(
    session: requests.Session, provider: ProviderConfig, *, clock: Callable[[], float] = time.time
) -> DeviceAuthorization:
    """Ask the provider for a user code (RFC 8628 §3.1)."""
    endpoints = provider.endpoints
    if endpoints is None or not endpoints.device_authorization:
        raise ConfigurationError(f"{provider.name} does not offer sign-in with a code.")
    with flow_log.step(flow_log.Step.DEVICE_AUTHORIZATION):
        response = send(
            session,
            "POST",
            endpoints.device_authorization,
            "device authorization endpoint",
            data={"client_id": provider.client_id, "scope": " ".join(provider.scopes)},
        )
        data = json_object(response, "device authorization endpoint")
        if response.status_code != 200 or "error" in data:
            refused = data.get("error", response.status_code)
            raise TokenError(f"The provider refused sign-in with a code ({refused}).")
    try:
        device_code, user_code = str(data["device_code"]), str(data["user_code"])
        uri = str(data["verification_uri"])
        expires_in = float(data["expires_in"])
        interval = float(data.get("interval") or DEFAULT_INTERVAL)
    except (KeyError, TypeError, ValueError):
        raise ProviderHTTPError("The provider's answer to a code sign-in is incomplete.") from None
    complete = data.get("verification_uri_complete")
    return DeviceAuthorization(
        user_code=user_code,
        verification_uri=uri,
        verification_uri_complete=complete if isinstance(complete, str) else None,
        expires_at=clock() + expires_in,
        interval=max(interval, 1.0),
        device_code=device_code,
    )


def poll_for_tokens(
    session: requests.Session,
    provider: ProviderConfig,
    authorization: DeviceAuthorization,
    *,
    cancelled: threading.Event,
    clock: Callable[[], float] = time.time,
    pause: Callable[[float], bool] | None = None,
    client_secret: str | None = None,
) -> TokenSet:
    """Poll the token endpoint until the person approves, declines, or the code expires.

    Honours ``interval`` and adds 5 s on ``slow_down`` (RFC 8628 §3.5); stops on
    ``access_denied`` and ``expired_token``; ``cancelled`` stops it at once. A
    poll that fails (network, 5xx) is retried after twice the wait, a few times.

    Args:
        pause: Waits the given seconds and returns True when cancelled; by
            default ``cancelled.wait``.
        client_secret: For confidential clients, which authenticate at the token
            endpoint (RFC 8628 §3.4, RFC 6749 §3.2.1).
    """
    with flow_log.step(flow_log.Step.DEVICE_POLL):
        return _poll(session, provider, authorization, cancelled, clock, pause, client_secret)


def _poll(
    session: requests.Session,
    provider: ProviderConfig,
    authorization: DeviceAuthorization,
    cancelled: threading.Event,
    clock: Callable[[], float],
    pause: Callable[[float], bool] | None,
    client_secret: str | None,
) -> TokenSet:
    pause = pause or cancelled.wait
    endpoints = provider.endpoints
    assert endpoints is not None
    interval = authorization.interval
    failed = 0
    body = urlencode(
        {
            "grant_type": DEVICE_GRANT,
            "device_code": authorization.device_code,
            "client_id": provider.client_id,
        }
    )
    while True:
        if pause(interval * 2**failed) or cancelled.is_set():
            raise FlowCancelledError("Sign-in with a code was cancelled.")
        if clock() >= authorization.expires_at:
            raise FlowTimeoutError("The code expired before it was entered. Start again.")
        try:
            data = post_token_request(
                session,
                endpoints.token,
                body,
                provider.client_id,
                client_secret,
                auth_methods=endpoints.token_auth_methods,
            )
        except TokenError as exc:
            if exc.error is None and failed < MAX_FAILED_POLLS:
                failed += 1  # no OAuth answer at all: the provider may be back soon
                continue
            failed = 0
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if exc.error == "access_denied":
                raise AuthorizationDeniedError("access_denied") from None
            if exc.error == "expired_token":
                raise FlowTimeoutError(
                    "The code expired before it was entered. Start again."
                ) from None
            raise
        return TokenSet.from_response(data, provider.scopes, clock())


def checked_claims(
    session: requests.Session,
    provider: ProviderConfig,
    tokens: TokenSet,
    *,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The id_token's claims after the same signature and claim checks as a browser
    sign-in, except the nonce, which the device grant does not send."""
    if not tokens.id_token:
        if provider.is_openid:
            raise TokenError("The provider returned no id_token although openid was requested.")
        return {}
    with flow_log.step(flow_log.Step.ID_TOKEN):
        return validate_id_token(
            tokens.id_token, provider, provider_keys(session, provider), nonce=None, now=clock()
        )
