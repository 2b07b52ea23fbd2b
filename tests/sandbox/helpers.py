"""Test helpers: a person at a browser (played with requests, the pages have no
JavaScript) and an OAuth client doing PKCE by hand, both over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from desktop_oauth.sandbox import DEFAULT_SCOPES, SANDBOX_CLIENT_ID

TIMEOUT = 5
#: The serving thread's poll for the tests' sandboxes: stop() waits up to this long
#: (the app's 0.1 s, over the ~40 sandboxes the unit tier starts, was ~4 s of waiting).
STOP_POLL = 0.01
REDIRECT_URI = "http://127.0.0.1:54321/callback"  # nothing listens: the test reads the Location


def seeded_home(home: Path, signing_key_pem: bytes) -> Path:
    """A profile folder that already holds ``signing_key_pem`` (the session's key,
    tests/conftest.py): a sandbox started on it loads that key instead of making one."""
    key = home / "sandbox" / "signing-key.pem"
    if not key.exists():
        key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key.write_bytes(signing_key_pem)
        key.chmod(0o600)
    return home


@dataclass
class Form:
    id: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # hidden inputs and text fields
    checkboxes: dict[str, list[str]] = field(default_factory=dict)  # name -> checked values
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, value)


class PageParser(HTMLParser):
    """Finds the page kind (body data-page) and its forms."""

    def __init__(self) -> None:
        super().__init__()
        self.page = ""
        self.forms: dict[str, Form] = {}
        self._form: Form | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.page = a.get("data-page", "")
        elif tag == "form":
            self._form = Form(id=a.get("id", f"form{len(self.forms)}"), action=a["action"])
            self.forms[self._form.id] = self._form
        elif tag == "input" and self._form is not None and "name" in a:
            if a.get("type") == "checkbox":
                if "checked" in a and "disabled" not in a:
                    self._form.checkboxes.setdefault(a["name"], []).append(a["value"])
            else:
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and self._form is not None:
            self._form.buttons[a.get("id", "")] = (a.get("name", ""), a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


class Browser:
    """A person at a browser: follows redirects inside the sandbox, fills the forms.

    Stops when a redirect leaves the sandbox (to the client's redirect_uri)
    and returns that URL, or when a page it was not asked to handle shows up.
    """

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = requests.Session()
        self.http.trust_env = False  # never a proxy between us and 127.0.0.1
        self.pages: list[str] = []

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> requests.Response:
        return self.http.get(urljoin(self.issuer, url), allow_redirects=False, timeout=TIMEOUT)

    def submit(
        self,
        form: Form,
        button: str,
        *,
        uncheck: tuple[str, ...] = (),
        fields: dict[str, str] | None = None,
    ) -> requests.Response:
        data: list[tuple[str, str]] = [(k, (fields or {}).get(k, v)) for k, v in form.fields]
        for name, values in form.checkboxes.items():
            data.extend((name, v) for v in values if v not in uncheck)
        data.append(form.buttons[button])
        return self.http.post(
            urljoin(self.issuer, form.action), data=data, allow_redirects=False, timeout=TIMEOUT
        )

    def walk(
        self,
        url: str,
        *,
        user: str = "ada",
        decision: str = "allow",
        uncheck: tuple[str, ...] = (),
        user_code: str | None = None,
        stop_at: str = "",
    ) -> str | PageParser:
        """Go to ``url`` and act like a person until leaving the sandbox.

        Returns the URL the browser was sent to outside the sandbox, or the
        parsed page whose kind is ``stop_at`` (or an error page, device-done, or
        the device page shown again after a code was typed).
        """
        response = self.get(url)
        device_submitted = False
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.issuer + "/"):
                    return location
                response = self.get(location)
                continue
            page = parse(response.text)
            self.pages.append(page.page)
            if page.page == stop_at or page.page in ("sandbox-error", "sandbox-device-done"):
                return page
            if page.page == "sandbox-login":
                response = self.submit(page.forms["sandbox-login"], f"login-{user}")
            elif page.page == "sandbox-consent":
                response = self.submit(page.forms["sandbox-consent"], decision, uncheck=uncheck)
            elif page.page == "sandbox-device":
                if device_submitted:
                    return page  # shown again: the code was refused
                device_submitted = True
                fields = {"user_code": user_code} if user_code is not None else None
                response = self.submit(
                    page.forms["sandbox-device"], "device-continue", fields=fields
                )
            else:
                raise AssertionError(f"unexpected page {page.page!r} ({response.status_code})")
        raise AssertionError("too many steps")


def challenge_of(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class Pending:
    url: str
    state: str
    nonce: str
    verifier: str
    redirect_uri: str = REDIRECT_URI


class Client:
    """The app's side of the protocol, by hand, so tests can also do it wrong."""

    def __init__(self, issuer: str, client_id: str = SANDBOX_CLIENT_ID) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.http = requests.Session()
        self.http.trust_env = False

    def close(self) -> None:
        self.http.close()

    def authorization_url(
        self, scopes: tuple[str, ...] = DEFAULT_SCOPES, **overrides: str | None
    ) -> Pending:
        verifier = secrets.token_urlsafe(48)
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": " ".join(scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return Pending(
            f"{self.issuer}/authorize?{query}",
            state,
            nonce,
            verifier,
            params["redirect_uri"] or REDIRECT_URI,
        )

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.http.post(f"{self.issuer}{path}", data=data, timeout=TIMEOUT, **kwargs)

    def exchange(self, pending: Pending, code: str, **overrides: str) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": pending.verifier,
        }
        data.update(overrides)
        return self.post("/token", data)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.post(
            "/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
            },
        )

    def api(self, path: str, token: str, method: str = "GET", **kwargs: Any) -> requests.Response:
        kwargs.setdefault("headers", {"Authorization": f"Bearer {token}"})
        return self.http.request(method, f"{self.issuer}{path}", timeout=TIMEOUT, **kwargs)

    def introspect(self, token: str) -> dict[str, Any]:
        response = self.post("/introspect", {"token": token, "client_id": self.client_id})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def connect(
        self,
        browser: Browser,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        *,
        user: str = "ada",
        uncheck: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The whole code flow; returns the token answer (and checks the redirect)."""
        pending = self.authorization_url(scopes)
        location = browser.walk(pending.url, user=user, uncheck=uncheck)
        assert isinstance(location, str), location
        query = redirect_params(location)
        assert query["state"] == pending.state and query["iss"] == self.issuer
        response = self.exchange(pending, query["code"])
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        tokens["_nonce"] = pending.nonce
        return tokens


def redirect_params(location: str) -> dict[str, str]:
    """The query of a redirect to the client, each parameter exactly once."""
    parsed = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in parsed.values()), parsed
    return {k: v[0] for k, v in parsed.items()}
