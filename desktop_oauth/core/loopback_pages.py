"""The small, self-contained pages the loopback receiver answers with, and their headers."""

from __future__ import annotations

import base64
import hashlib
import html
from http import HTTPStatus

MAX_REFLECTED = 300  # characters of a provider's error text shown on the page

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;"
    "color:#1b1b1b;background:#fff}h1{font-size:1.4em}code{background:#eee;padding:0 .2em}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#1e1e1e}"
    "code{background:#333}}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The success page closes its tab where the browser allows it (a tab a script did
# not open usually stays: the text says it can be closed). Hash-sourced like the style.
CLOSE_SCRIPT = "setTimeout(function(){window.close()},1500)"
SCRIPT_HASH = base64.b64encode(hashlib.sha256(CLOSE_SCRIPT.encode()).digest()).decode()
# RFC 9700 §4.2.4: the page must not leak the URL (code, state) to anyone: no caching,
# no Referer, no third-party resources (the CSP allows only our own inline style).
HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; "
        f"script-src 'sha256-{SCRIPT_HASH}'; frame-ancestors 'none'",
    ),
    ("Connection", "close"),
)


def page(title: str, body: str, *, close: bool = False) -> bytes:
    """Render a self-contained page; ``body`` must already be escaped HTML.

    Args:
        close: Let the page close its tab (:data:`CLOSE_SCRIPT`).
    """
    script = f"<script>{CLOSE_SCRIPT}</script>" if close else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{title} - desktop-oauth</title><style>{STYLE}</style>{script}</head>"
        f"<body><h1>{title}</h1><p>{body}</p></body></html>"
    ).encode()


CLOSE_TAB = "You can close this tab and return to desktop-oauth."
SUCCESS = page("Signed in", "You are signed in. " + CLOSE_TAB, close=True)
FOREIGN = page(
    "Not your sign-in",
    "This response does not belong to the sign-in in progress, so it was ignored.",
)
SPENT = page("Already finished", "This sign-in has already finished. " + CLOSE_TAB)
WRONG_ISSUER = page(
    "Sign-in not completed",
    "This response came from a different provider than the one the sign-in started "
    "with, so it was not used. " + CLOSE_TAB,
)
STATUS_PAGES: dict[int, bytes] = {
    HTTPStatus.BAD_REQUEST: page("Bad request", "This request could not be understood."),
    HTTPStatus.NOT_FOUND: page("Not found", "desktop-oauth only answers its sign-in address."),
    HTTPStatus.METHOD_NOT_ALLOWED: page("Method not allowed", "Only GET is answered here."),
    HTTPStatus.MISDIRECTED_REQUEST: page("Wrong address", "Use the 127.0.0.1 address."),
    HTTPStatus.REQUEST_URI_TOO_LONG: page("Address too long", "The URL is too long."),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: page("Headers too large", "Too much data."),
}


def status_page(status: int) -> bytes:
    return STATUS_PAGES.get(status, STATUS_PAGES[HTTPStatus.BAD_REQUEST])


def denied_page(params: dict[str, str]) -> bytes:
    # RFC 9700 §4.2.4 / SECURITY (a)12: every reflected value is escaped and shortened.
    error = html.escape(params["error"][:MAX_REFLECTED])
    text = f"The provider answered <code>{error}</code>."
    if params.get("error_description"):
        text += " " + html.escape(params["error_description"][:MAX_REFLECTED])
    return page("Sign-in not completed", f"{text} {CLOSE_TAB}")
