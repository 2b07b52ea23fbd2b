"""HTTP plumbing shared by every call to a provider.

Every request verifies TLS and carries (connect, read) timeouts: requests has no
default timeout, and a provider that never answers must not hang a worker
(docs/security.md (a)20). Plain http is allowed only for loopback hosts, decided per URL
(RFC 8252 §8.3), never through oauthlib's process-wide OAUTHLIB_INSECURE_TRANSPORT.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from . import flow_log
from .errors import FlowCancelledError, InsecureURLError, ProviderHTTPError
from .headers import header_items
from .inflight import InFlight, TrackingAdapter
from .redaction import outgoing_exchange

#: (connect, read) seconds for every provider call.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
#: Seconds one whole call may take, headers and body (docs/security.md finding 5).
DEFAULT_DEADLINE = 45.0
#: Answers larger than this are refused rather than parsed (a captive portal or a
#: misconfigured proxy can send megabytes).
MAX_BODY_BYTES = 1_000_000

_log = logging.getLogger(__name__)
_LOOPBACK_NAMES = {"localhost"}
#: Per-request proxies for loopback URLs: None drops whatever HTTP_PROXY,
#: HTTPS_PROXY or ALL_PROXY (or the session) would add. A proxy is another
#: machine or process: it must never see the plain-http exchange with a provider
#: on this computer (code, PKCE verifier, tokens; RFC 8252 §8.3).
_NO_PROXY: dict[str, str | None] = {"http": None, "https": None, "all": None}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and literal loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, what: str) -> str:
    """Return ``url`` if it is https, or http on a loopback host; raise otherwise.

    Args:
        url: The URL to check.
        what: What the URL is for, used in the message ("token endpoint").
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return url
    if parts.scheme == "http":
        raise InsecureURLError(
            f"The {what} uses plain http on {parts.hostname}; "
            "only https is allowed, except on this computer (127.0.0.1)."
        )
    raise InsecureURLError(f"The {what} is not a valid https URL: {url!r}.")


class ProviderSession(requests.Session):
    """A requests session that carries the (connect, read) timeouts of the calls
    sent through it with :func:`send` when the caller names none.

    Args:
        timeout: (connect, read) seconds; tests pass short ones to play a
            provider that never answers without waiting half a minute.
        deadline: Seconds one whole call may take, however the bytes trickle in.
    """

    def __init__(
        self, timeout: tuple[float, float] = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE
    ) -> None:
        super().__init__()
        connect, read = timeout
        if connect <= 0 or read <= 0 or deadline <= 0:
            raise ValueError("timeouts must be positive")
        self.timeout = (float(connect), float(read))
        self.deadline = float(deadline)
        for prefix in ("http://", "https://"):
            self.mount(prefix, TrackingAdapter())


def new_session(
    timeout: tuple[float, float] = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE
) -> ProviderSession:
    """A session that identifies the app, asks for JSON and times out after
    ``timeout`` (connect, read) seconds per operation and ``deadline`` seconds per
    call (requests keeps TLS verification on)."""
    session = ProviderSession(timeout, deadline)
    session.headers["User-Agent"] = "desktop-oauth"
    session.headers["Accept"] = "application/json"
    return session


def timeout_of(session: requests.Session) -> tuple[float, float]:
    """The (connect, read) timeouts of ``session``: its own, else the default."""
    return session.timeout if isinstance(session, ProviderSession) else DEFAULT_TIMEOUT


def host_of(url: str) -> str:
    """The host part of a URL, for messages."""
    return urlsplit(url).hostname or url


def send(
    session: requests.Session,
    method: str,
    url: str,
    what: str,
    *,
    timeout: tuple[float, float] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request and turn transport failures into a readable error.

    The body is read up to :data:`MAX_BODY_BYTES`; a larger answer is refused.
    Redirects are not followed: OAuth endpoints answer directly.

    Args:
        timeout: (connect, read) seconds; by default the session's
            (:func:`timeout_of`). Never unbounded (docs/security.md (a)20).
    """
    require_secure_url(url, what)
    recorder = flow_log.current()
    if recorder is None:
        return _send(session, method, url, what, timeout, kwargs)
    started_at, began = time.time(), time.monotonic()
    try:
        response = _send(session, method, url, what, timeout, kwargs)
    except BaseException as exc:
        _record(recorder, session, method, url, kwargs, None, started_at, began, exc)
        raise
    _record(recorder, session, method, url, kwargs, response, started_at, began, None)
    return response


def _send(
    session: requests.Session,
    method: str,
    url: str,
    what: str,
    timeout: tuple[float, float] | None,
    kwargs: dict[str, Any],
) -> requests.Response:
    # Every header value, the session's and this call's, passes the one CR/LF gate.
    header_items(session.headers.items())  # type: ignore[arg-type]
    if "headers" in kwargs:
        kwargs["headers"] = dict(header_items(kwargs["headers"]))
    if is_loopback_host(urlsplit(url).hostname or ""):
        kwargs["proxies"] = dict(_NO_PROXY)
    deadline = session.deadline if isinstance(session, ProviderSession) else DEFAULT_DEADLINE
    with InFlight().sending(deadline) as call:
        try:
            response = session.request(
                method,
                url,
                timeout=timeout or timeout_of(session),
                allow_redirects=False,
                stream=True,
                **kwargs,
            )
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            _raise_aborted(call, what, url, deadline)
            raise _transport_error(exc, what, url) from None
        # An abort ends a blocked read early: what was read is not the answer.
        _raise_aborted(call, what, url, deadline)
    if len(body) > MAX_BODY_BYTES:
        response.close()
        raise ProviderHTTPError(f"The {what} at {host_of(url)} sent an answer far too large.")
    response._content = body
    return response


def _record(
    recorder: flow_log.OperationRecorder,
    session: requests.Session,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    response: requests.Response | None,
    started_at: float,
    began: float,
    exc: BaseException | None,
) -> None:
    """Add the redacted exchange to the running step (never fails the call itself)."""
    duration = time.monotonic() - began
    try:
        request: requests.PreparedRequest | None = response.request if response else None
        if request is None:
            request = session.prepare_request(
                requests.Request(
                    method,
                    url,
                    headers=kwargs.get("headers"),
                    data=kwargs.get("data"),
                    json=kwargs.get("json"),
                    params=kwargs.get("params"),
                    auth=kwargs.get("auth"),
                )
            )
        exchange = outgoing_exchange(
            method=method,
            url=request.url or url,
            request_headers=request.headers.items(),
            request_body=request.body,
            status=response.status_code if response is not None else None,
            response_headers=response.headers.items() if response is not None else (),
            response_body=response.content if response is not None else None,
            started_at=started_at,
            duration=duration,
            error=flow_log.error_text(exc) if exc is not None else None,
            known=recorder.secrets,
        )
    except Exception as failure:  # the record is for people; the call must not break
        _log.warning("An HTTP exchange could not be recorded (%s).", type(failure).__name__)
        return
    recorder.add_exchange(exchange)


def _raise_aborted(call: InFlight, what: str, url: str, deadline: float) -> None:
    if call.reason == "cancelled":
        raise FlowCancelledError("The sign-in was cancelled.")
    if call.reason == "deadline":
        raise ProviderHTTPError(
            f"The {what} at {host_of(url)} did not finish answering within "
            f"{deadline:g} seconds. Try again later."
        )


def _transport_error(exc: Exception, what: str, url: str) -> ProviderHTTPError:
    host = host_of(url)
    if isinstance(exc, requests.exceptions.SSLError):
        return ProviderHTTPError(
            f"The {what} at {host} presented a certificate that could not be verified."
        )
    if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError):
        return ProviderHTTPError(f"The {what} at {host} did not answer in time. Try again later.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ProviderHTTPError(
            f"Could not reach the {what} at {host}. Check the network and the URL."
        )
    return ProviderHTTPError(f"The request to the {what} at {host} failed ({type(exc).__name__}).")


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """Parse a JSON object from ``response`` or explain why it is not one."""
    content_type = response.headers.get("Content-Type", "")
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        kind = "a web page" if "html" in content_type else "something that is not JSON"
        raise ProviderHTTPError(
            f"The {what} at {host_of(response.url)} answered with {kind} "
            f"(HTTP {response.status_code}). A network sign-in page or a wrong URL can cause this."
        ) from None
    if not isinstance(data, dict):
        raise ProviderHTTPError(
            f"The {what} at {host_of(response.url)} answered with JSON that is not an object."
        )
    return data


# requests-oauthlib and oauthlib log token requests and answers at DEBUG
# (requests-oauthlib #536): keep them quiet whatever the root level is.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.WARNING)
