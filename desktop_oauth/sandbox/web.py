"""Requests and responses as the sandbox's handlers see them, free of http.server.

Every response gets the same protective headers (:data:`SECURITY_HEADERS`):
nothing is cached, nothing leaks a Referer, nothing can frame a page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

#: Sent with every answer, pages and JSON alike.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)
#: For everything but HTML pages (those set their own, with a style hash).
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class WebRequest:
    """One HTTP request.

    Attributes:
        method: ``GET`` or ``POST``.
        path: The path, percent-encoding kept.
        query: The raw query string (no ``?``).
        headers: Header names as sent; look up with :meth:`header`.
        body: The raw body (bounded by the server).
        issuer: The sandbox's issuer, the base of every absolute URL.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    issuer: str

    @property
    def uri(self) -> str:
        """The absolute request URI, as oauthlib wants it."""
        return self.issuer + self.path + (f"?{self.query}" if self.query else "")

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def body_text(self) -> str:
        """The body as text; raises UnicodeDecodeError for bytes that are not UTF-8."""
        return self.body.decode("utf-8")

    def query_params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def form(self) -> dict[str, list[str]]:
        """The urlencoded body's fields (empty for any other content type or bad bytes)."""
        content_type = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != FORM_TYPE:
            return {}
        try:
            return parse_qs(self.body_text(), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return {}

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.header("Cookie") or "")
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}


def single(fields: Mapping[str, list[str]], name: str) -> str | None:
    """The value of a field sent exactly once (None if missing or repeated)."""
    values = fields.get(name)
    return values[0] if values is not None and len(values) == 1 else None


@dataclass
class WebResponse:
    """An answer to send: status, body and headers (security headers come on top)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def json_response(
    data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> WebResponse:
    return WebResponse(status, json.dumps(data).encode(), "application/json", list(headers or []))


def error_json(
    status: int, error: str, description: str, headers: list[tuple[str, str]] | None = None
) -> WebResponse:
    """An OAuth-style error body (RFC 6749 §5.2 shape) with a readable description."""
    return json_response({"error": error, "error_description": description}, status, headers)


def oauthlib_response(
    headers: Mapping[str, str] | None, body: str | None, status: int
) -> WebResponse:
    """What an oauthlib endpoint returned, as a response."""
    extra = [
        (k, v)
        for k, v in (headers or {}).items()
        if k.lower() not in ("content-type", "cache-control", "pragma")
    ]
    content_type = (headers or {}).get("Content-Type", "application/json") if body else None
    return WebResponse(status, (body or "").encode(), content_type, extra)


def redirect(location: str, status: int = 303) -> WebResponse:
    return WebResponse(status, headers=[("Location", location)])
