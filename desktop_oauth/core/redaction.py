"""Redaction at the source: building an :class:`HttpExchange` with no secret in it.

Two defences, both applied before a record exists:

- **by name**: the value of every parameter, JSON member or header that holds a
  secret (RFC 6749 §4.1.2, §4.1.3, §5.1, §6; RFC 7636 §4.1, §4.2; RFC 7009 §2.1;
  RFC 8628 §3.2; OIDC Core §3.1.2.1) is replaced, in query strings, form bodies,
  JSON bodies (nested) and headers, by ``«access token, 43 chars»``;
- **by value**: every secret the operation knows (the PKCE verifier and
  challenge, state, nonce, code, client secret, tokens, including each value
  redacted by name earlier in the operation) is replaced wherever it appears
  (URLs, bodies, ``Location`` headers, messages).

The id_token's claims may be shown (the token panel shows them too); they follow
the response body, with the nonce redacted. Bodies are pretty-printed when JSON,
cut at :data:`~desktop_oauth.core.flow_log.MAX_BODY_CHARS`, and shown as
``«N bytes of binary data»`` when they are not UTF-8 text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

from .flow_log import BROWSER_NOTE, MAX_BODY_CHARS, HttpExchange
from .known_secrets import KnownSecrets, marker
from .tokens import decode_jwt_claims

#: Parameter and JSON member names whose values are secrets, with the words shown
#: instead. ``user_code`` is not one: the person reads and types it (RFC 8628 §3.3).
SECRET_NAMES: dict[str, str] = {
    "access_token": "access token",
    "refresh_token": "refresh token",
    "id_token": "id token",
    "code": "authorization code",
    "state": "state",
    "nonce": "nonce",
    "code_verifier": "PKCE verifier",
    "code_challenge": "PKCE challenge",
    "client_secret": "client secret",
    "client_assertion": "client assertion",
    "device_code": "device code",
    "token": "token",
    "id_token_hint": "id token",
    "password": "password",
}
#: Header names whose values are secrets (compared without case).
SECRET_HEADERS: dict[str, str] = {
    "authorization": "credentials",
    "proxy-authorization": "credentials",
    "cookie": "cookie",
    "set-cookie": "cookie",
    "dpop": "DPoP proof",
}


def _by_name(name: str) -> str | None:
    """The words for a secret parameter. Callers prefer the words of a value the
    operation already knows: RFC 7009 and RFC 7662 send any token as ``token``, and
    "refresh token" says more."""
    return SECRET_NAMES.get(name.lower())


def _pairs(pairs: Iterable[tuple[str, str]], known: KnownSecrets) -> list[tuple[str, str]]:
    """Name/value pairs with secret values learned and replaced by their marker."""
    shown = []
    for name, value in pairs:
        label = _by_name(name)
        if label is not None and value:
            label = known.label_of(value) or label
            known.add(label, value)
            value = marker(label, value)
        shown.append((name, value))
    return shown


def redact_url(url: str, known: KnownSecrets) -> str:
    """``url`` with secret query parameters (and any known value) replaced; every
    other parameter is kept exactly as written."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return known.scrub(url)
    if parts.query:
        pieces = []
        for piece in parts.query.split("&"):
            name, _, value = piece.partition("=")
            label = _by_name(unquote_plus(name))
            if label is not None and value:
                plain = unquote_plus(value)
                label = known.label_of(plain) or label
                known.add(label, plain)
                piece = f"{name}={marker(label, plain)}"
            pieces.append(piece)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pieces), parts.fragment))
    return known.scrub(url)


def redact_json(data: Any, known: KnownSecrets) -> Any:
    """A copy of ``data`` with every secret member, at any depth, replaced."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            label = _by_name(str(key))
            if label is not None and isinstance(value, str) and value:
                label = known.label_of(value) or label
                known.add(label, value)
                out[key] = marker(label, value)
            else:
                out[key] = redact_json(value, known)
        return out
    if isinstance(data, list):
        return [redact_json(item, known) for item in data]
    if isinstance(data, str):
        return known.scrub(data)
    return data


def redact_headers(
    headers: Iterable[tuple[str, str]], known: KnownSecrets
) -> tuple[tuple[str, str], ...]:
    """Headers with credential and cookie values replaced (the scheme word kept)."""
    shown = []
    for name, value in headers:
        label = SECRET_HEADERS.get(name.lower())
        if label is not None:
            scheme, _, rest = value.partition(" ")
            if rest and scheme.isalpha() and name.lower().endswith("authorization"):
                # A bearer token the operation already knows keeps its name (RFC 6750 §2.1).
                label = known.label_of(rest) or label
                known.add(label, rest)
                value = f"{scheme} {marker(label, rest)}"
            else:
                known.add(label, value)
                value = marker(label, value)
        elif name.lower() in ("location", "content-location", "referer"):
            value = redact_url(value, known)
        else:
            value = known.scrub(value)
        shown.append((name, value))
    return tuple(shown)


def _text_of(body: bytes | str) -> str | None:
    if isinstance(body, str):
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def redact_body(
    body: bytes | str | Mapping[str, Any] | None, content_type: str, known: KnownSecrets
) -> str:
    """A body as text a person can read, with its secrets replaced and cut to size.

    JSON is pretty-printed (and an id_token's decoded claims follow it); a form is
    shown as ``name=value`` lines; anything not UTF-8 is ``«N bytes of binary data»``.
    """
    return _cut(known.scrub(_readable(body, content_type, known)))


def _readable(
    body: bytes | str | Mapping[str, Any] | None, content_type: str, known: KnownSecrets
) -> str:
    """The body as text with secrets replaced by name, not yet cut (a cut first
    could split a known value so that replacing it by value no longer finds it)."""
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, Mapping):
        return "\n".join(f"{k}={v}" for k, v in _pairs(_items(body), known))
    text = _text_of(body)
    if text is None:
        return f"«{len(body)} bytes of binary data»"
    kind = content_type.split(";")[0].strip().lower()
    if kind.endswith("json") or (not kind and text.lstrip()[:1] in ("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            return _pretty_json(data, known)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            pass
        else:
            return "\n".join(f"{k}={v}" for k, v in _pairs(pairs, known))
    return text


def _items(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    items = []
    for key, value in body.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            items.append((str(key), "" if one is None else str(one)))
    return items


def _pretty_json(data: Any, known: KnownSecrets) -> str:
    shown = json.dumps(redact_json(data, known), indent=2, ensure_ascii=False)
    id_token = data.get("id_token") if isinstance(data, dict) else None
    if isinstance(id_token, str):
        try:
            claims = decode_jwt_claims(id_token)
        except Exception:  # not a JWT: nothing more to show
            return shown
        # OIDC Core §2: the claims are shown (the token panel shows them); the nonce
        # stays hidden, like every other value this operation knows.
        decoded = json.dumps(redact_json(claims, known), indent=2, ensure_ascii=False)
        shown += "\n\nid_token claims (decoded):\n" + decoded
    return shown


def _cut(text: str) -> str:
    if len(text) <= MAX_BODY_CHARS:
        return text
    return text[:MAX_BODY_CHARS] + f"\n… ({len(text) - MAX_BODY_CHARS} more characters cut)"


def outgoing_exchange(
    *,
    method: str,
    url: str,
    request_headers: Iterable[tuple[str, str]] = (),
    request_body: bytes | str | Mapping[str, Any] | None = None,
    status: int | None = None,
    response_headers: Iterable[tuple[str, str]] = (),
    response_body: bytes | str | None = None,
    started_at: float = 0.0,
    duration: float = 0.0,
    error: str | None = None,
    known: KnownSecrets,
) -> HttpExchange:
    """The redacted record of one request the app sent to a provider.

    The request is redacted first, so that secrets it carries (a refresh token, a
    code) are known by value before the answer is read; then the answer, whose
    tokens are learned for every later exchange of the operation.
    """
    request_headers = list(request_headers)
    response_headers = list(response_headers)
    shown_request_headers = redact_headers(request_headers, known)
    shown_request_body = _readable(request_body, _content_type(request_headers), known)
    shown_response_body = _readable(response_body, _content_type(response_headers), known)
    return HttpExchange(
        direction="outgoing",
        method=method.upper(),
        url=redact_url(url, known),
        status=status,
        # Headers again after the bodies: a token learned from the answer is
        # scrubbed from every field.
        request_headers=tuple((n, known.scrub(v)) for n, v in shown_request_headers),
        request_body=_cut(known.scrub(shown_request_body)),
        response_headers=redact_headers(response_headers, known),
        response_body=_cut(known.scrub(shown_response_body)),
        started_at=started_at,
        duration=duration,
        error=known.scrub(error) if error else None,
    )


def incoming_exchange(
    *,
    method: str,
    target: str,
    authority: str,
    status: int,
    request_headers: Iterable[tuple[str, str]] = (),
    response_headers: Iterable[tuple[str, str]] = (),
    started_at: float = 0.0,
    duration: float = 0.0,
    known: KnownSecrets,
) -> HttpExchange:
    """The redacted record of a request the loopback receiver answered (the browser's
    redirect, RFC 6749 §4.1.2): its request line and the status it got."""
    url = redact_url(f"http://{authority}{target}", known)
    return HttpExchange(
        direction="incoming",
        method=method.upper() or "?",
        url=url,
        status=status,
        request_headers=redact_headers(request_headers, known),
        response_headers=redact_headers(response_headers, known),
        started_at=started_at,
        duration=duration,
    )


def browser_request(url: str, known: KnownSecrets, *, started_at: float = 0.0) -> HttpExchange:
    """The authorization request (RFC 6749 §4.1.1) as the browser is sent to it: the
    app makes no request itself; the answer comes back as the callback."""
    return HttpExchange(
        direction="outgoing",
        method="GET",
        url=redact_url(url, known),
        status=None,
        started_at=started_at,
        error=BROWSER_NOTE,
    )


def _content_type(headers: Iterable[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return ""
