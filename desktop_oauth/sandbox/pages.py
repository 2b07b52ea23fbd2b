"""The sandbox's web pages: sign-in, consent, device code, connected applications.

Self-contained: one inline style allowed by its hash, no scripts, no fonts,
no images. Every value from outside goes through :func:`esc`. Element names
and ids are stable (tests and assistive technology use them); the package
docstring lists them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import Scope
from .web import WebResponse

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;"
    "color:#1b1b1b;background:#fff}header{color:#555;font-size:.9em;border-bottom:1px solid "
    "#ddd;margin-bottom:1em}h1{font-size:1.4em}ul.plain{list-style:none;padding:0}"
    "ul.plain li{margin:.4em 0}button{font:inherit;padding:.4em 1em;margin:.2em .4em .2em 0}"
    "button.user{display:block;width:100%;text-align:left}small,.muted{color:#666}"
    "code{background:#eee;padding:0 .2em}.notice{background:#eef6ee;padding:.5em}"
    ".error{background:#fbeaea;padding:.5em}.connection{border:1px solid #ddd;padding:.5em 1em;"
    "margin:.5em 0}input[name=user_code]{font:1.3em monospace;letter-spacing:.1em}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#1e1e1e}"
    "code{background:#333}small,.muted,header{color:#aaa}.notice{background:#243324}"
    ".error{background:#3a2424}}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
#: form-action allows the loopback callback: browsers check it on the redirect
#: that follows the consent form (http://127.0.0.1 on any port, RFC 8252 §7.3).
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self' "
    "http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'"
)


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def when(epoch: float) -> str:
    """A timestamp a person reads: local time, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def render(page_id: str, title: str, body: str, status: int = 200) -> WebResponse:
    """A whole page; ``body`` must already be escaped HTML."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{esc(title)} - Sandbox provider</title><style>{_STYLE}</style></head>"
        f'<body data-page="{esc(page_id)}"><header>Sandbox provider, built into desktop-oauth '
        "(runs on this computer only)</header>"
        f"<main><h1>{esc(title)}</h1>{body}</main></body></html>"
    )
    return WebResponse(
        status,
        document.encode(),
        "text/html; charset=utf-8",
        [("Content-Security-Policy", PAGE_CSP)],
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def _notice(text: str | None, css: str = "notice") -> str:
    return f'<p class="{css}" role="status">{esc(text)}</p>' if text else ""


@dataclass(frozen=True)
class UserChoice:
    """A demo user as the sign-in page lists them."""

    id: str
    name: str
    email: str


def login_page(
    users: Iterable[UserChoice], csrf: str, *, carry: tuple[str, str], client_name: str | None
) -> WebResponse:
    """Pick a demo user; ``carry`` is the hidden field that says where to go next."""
    intro = (
        f"<p><strong>{esc(client_name)}</strong> wants to use your sandbox account.</p>"
        if client_name
        else ""
    )
    buttons = "".join(
        f'<li><button class="user" type="submit" name="user" value="{esc(u.id)}" '
        f'id="login-{esc(u.id)}">{esc(u.name)} <small>{esc(u.email)}</small></button></li>'
        for u in users
    )
    return render(
        "sandbox-login",
        "Sign in to the sandbox",
        (
            f"{intro}<p>Choose who you are. Sandbox accounts are made up and have no "
            "password: this is a place to try things.</p>"
            f'<form id="sandbox-login" method="post" action="/login">{_hidden("csrf_token", csrf)}'
            f'{_hidden(*carry)}<ul class="plain">{buttons}</ul></form>'
        ),
    )


def consent_page(
    *,
    client_name: str,
    user_name: str,
    scopes: Iterable[Scope],
    csrf: str,
    interaction_id: str,
    user_code: str | None = None,
) -> WebResponse:
    """Each requested scope with a checkbox, and Allow / Deny."""
    items = []
    for scope in scopes:
        box_id = f"scope-{esc(scope.name)}"
        if scope.required:
            box = f'<input type="checkbox" id="{box_id}" checked disabled>'
            extra = " <small>(always included when asked for)</small>"
        else:
            box = (
                f'<input type="checkbox" name="scope" value="{esc(scope.name)}" '
                f'id="{box_id}" checked>'
            )
            extra = ""
        items.append(
            f'<li><label for="{box_id}">{box} {esc(scope.description)} '
            f"<code>{esc(scope.name)}</code></label>{extra}</li>"
        )
    device = (
        f'<p>Check that your device shows this code: <strong id="device-user-code">'
        f"{esc(user_code)}</strong>. If it does not, press Deny.</p>"
        if user_code
        else ""
    )
    return render(
        "sandbox-consent",
        f"Allow {client_name} to use your account?",
        (
            f'{device}<p>Signed in as <strong id="signed-in-user">{esc(user_name)}</strong>. '
            f'<a id="switch-user" href="/login?interaction={esc(interaction_id)}">Not you?</a></p>'
            f'<form id="sandbox-consent" method="post" action="/consent">'
            f"{_hidden('csrf_token', csrf)}{_hidden('interaction', interaction_id)}"
            f"<fieldset><legend>{esc(client_name)} asks to:</legend>"
            f'<ul class="plain" id="scopes">{"".join(items)}</ul></fieldset>'
            '<p class="muted">Untick what you do not want to share. You can take access back '
            'any time on the <a href="/connections">connected applications</a> page.</p>'
            '<button type="submit" name="decision" value="allow" id="allow">Allow</button>'
            '<button type="submit" name="decision" value="deny" id="deny">Deny</button>'
            "</form>"
        ),
    )


def device_page(csrf: str, user_code: str, error: str | None = None) -> WebResponse:
    """Where the person types the code their device shows (RFC 8628 §3.3)."""
    return render(
        "sandbox-device",
        "Connect a device",
        (
            f"{_notice(error, 'error')}<p>Type the code your device or app shows.</p>"
            f'<form id="sandbox-device" method="post" action="/device">'
            f'{_hidden("csrf_token", csrf)}<label for="user-code">Code</label> '
            f'<input id="user-code" name="user_code" value="{esc(user_code)}" autocomplete="off" '
            'autocapitalize="characters" spellcheck="false" required> '
            '<button type="submit" id="device-continue">Continue</button></form>'
        ),
        status=400 if error else 200,
    )


def device_done_page(approved: bool, client_name: str) -> WebResponse:
    if approved:
        text = f"{client_name} is connected. You can return to your device."
    else:
        text = f"You denied {client_name} access. Nothing was shared."
    result = "approved" if approved else "denied"
    return render(
        "sandbox-device-done",
        "Done",
        (f'<p id="device-result" data-result="{result}">{esc(text)}</p>'),
    )


@dataclass(frozen=True)
class Connection:
    """One application holding access, as the connections page lists it."""

    client_id: str
    client_name: str
    scopes: tuple[Scope, ...]
    granted_at: float
    grants: int


def connections_page(
    user_name: str, connections: Iterable[Connection], csrf: str, notice: str | None
) -> WebResponse:
    rows = []
    for c in connections:
        scopes = "".join(
            f"<li>{esc(s.description)} <code>{esc(s.name)}</code></li>" for s in c.scopes
        )
        rows.append(
            f'<li class="connection" id="connection-{esc(c.client_id)}">'
            f'<h2>{esc(c.client_name)}</h2><p class="muted">Access granted '
            f"{esc(when(c.granted_at))} ({c.grants} sign-in{'s' if c.grants != 1 else ''})</p>"
            f"<p>It can:</p><ul>{scopes}</ul>"
            f'<form method="post" action="/connections">{_hidden("csrf_token", csrf)}'
            f'<button type="submit" name="client_id" value="{esc(c.client_id)}" '
            f'id="remove-{esc(c.client_id)}">Remove access</button></form></li>'
        )
    listing = (
        f'<ul class="plain" id="connections">{"".join(rows)}</ul>'
        if rows
        else '<p id="no-connections">No application has access to your account.</p>'
    )
    return render(
        "sandbox-connections",
        "Connected applications",
        (
            f'{_notice(notice)}<p>Signed in as <strong id="signed-in-user">{esc(user_name)}'
            "</strong>. These applications can use your sandbox account. Removing one signs it "
            f"out at once; the others keep working.</p>{listing}"
        ),
    )


def error_page(title: str, message: str, status: int = 400) -> WebResponse:
    return render(
        "sandbox-error", title, f'<p class="error" id="error-message">{esc(message)}</p>', status
    )


def csrf_refused_page() -> WebResponse:
    """A form whose CSRF token does not match: stale, or posted from another site."""
    return error_page(
        "Please try again",
        "This form was open too long or came from elsewhere. Reload the page and try again.",
        403,
    )


def home_page(issuer: str) -> WebResponse:
    return render(
        "sandbox-home",
        "Sandbox provider",
        (
            f"<p>An OpenID provider for trying things out, at <code>{esc(issuer)}</code>.</p>"
            '<ul><li><a href="/connections">Connected applications</a></li>'
            '<li><a href="/device">Connect a device</a></li>'
            '<li><a href="/.well-known/openid-configuration">Discovery document</a></li></ul>'
        ),
    )
