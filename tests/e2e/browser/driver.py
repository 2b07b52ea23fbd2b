"""The test suite's "system browser": Debian's Chromium driven by playwright.

Started (detached) by ``tests/e2e/browser/open-url URL``, which the tests make
Python's ``webbrowser`` call through the ``BROWSER`` environment variable::

    python -m tests.e2e.browser.driver URL

It plays the person at the keyboard according to a JSON *plan* read from the
file named by ``DESKTOP_OAUTH_TEST_BROWSER_PLAN``::

    {"login": "alice", "action": "consent" | "cancel" | "ignore" | "device",
     "wrong_state_first": false, "plan_id": "optional, echoed back",
     "uncheck_scopes": ["email"], "user_code": "WDJB-MJHT"}

- ``wrong_state_first``: before anything else, GET
  ``<redirect_uri>?code=x&state=WRONG`` (redirect_uri taken from URL's query)
  with urllib and record the HTTP status the app's loopback server answered.
- ``ignore``: record the URL and exit without loading it.
- ``consent`` / ``cancel``: load the URL, sign in as ``login`` (any password),
  then press "Continue" or "Cancel" on the consent page, and wait until the
  browser lands on the redirect_uri (the app's loopback page).
- On the built-in sandbox's pages (desktop_oauth/sandbox; recognised by
  ``<body data-page="sandbox-...">``): ``login`` picks the demo user
  (``ada``, ``grace``, ``linus``), ``uncheck_scopes`` are unticked on the
  consent page before "Allow" (``consent``) or "Deny" (``cancel``).
- ``device``: URL is the sandbox's RFC 8628 verification page: sign in, type
  ``user_code`` (or keep the one the URL prefilled), consent like above (or
  deny with ``cancel``), and stop on the "done" page.

When done it appends ONE JSON line to ``<plan>.result.jsonl``::

    {"url_opened": str, "wrong_state_status": int | null,
     "final_url": str | null, "final_text": str | null, "error": str | null,
     "login": str, "action": str, "plan_id": str | null,
     "pages": [str, ...], "elapsed_s": float}

(``pages`` lists the kinds of page it went through, ending in ``redirect``
or, for the device flow, ``sandbox_device_done``; ``wrong_state_error``
is added when the wrong-state request got no HTTP answer at all, and
``final_load_error`` when the browser was redirected to the redirect_uri but
the page there did not load: then ``final_url`` is the redirect it followed
and ``final_text`` is null). It never
crashes silently: any exception is recorded in ``error``, and a watchdog
writes an error line and exits if a run takes longer than ``RUN_DEADLINE_S``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

# Flags measured to work as root with Debian 12's Chromium (the README's test machine).
# --user-data-dir is given to playwright as the persistent context's folder.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The provider's dev pages ask for web fonts: without this every page
    # waits on DNS for hosts that cannot be reached.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

PLAN_ENV = "DESKTOP_OAUTH_TEST_BROWSER_PLAN"
ACTIONS = ("consent", "cancel", "ignore", "device")

ACTION_TIMEOUT_MS = 5_000  # each click, fill, element wait
NAVIGATION_TIMEOUT_MS = 8_000  # each page load / redirect wait
WRONG_STATE_TIMEOUT_S = 5.0
MAX_PAGES = 8  # pages walked through before giving up
RUN_DEADLINE_S = 20.0  # whole run, enforced by a watchdog


@dataclass
class Plan:
    login: str = "alice"
    action: str = "consent"
    wrong_state_first: bool = False
    plan_id: str | None = None  # echoed in the result, to tell runs apart
    uncheck_scopes: list[str] = field(default_factory=list)  # sandbox consent page
    user_code: str | None = None  # sandbox device page
    trust_self_signed: bool = False  # a provider on https with its own certificate

    @classmethod
    def load(cls, path: Path) -> Plan:
        raw = json.loads(path.read_text(encoding="utf-8"))
        plan = cls(
            login=str(raw.get("login", "alice")),
            action=str(raw.get("action", "consent")),
            wrong_state_first=bool(raw.get("wrong_state_first", False)),
            plan_id=None if raw.get("plan_id") is None else str(raw["plan_id"]),
            uncheck_scopes=[str(scope) for scope in raw.get("uncheck_scopes") or []],
            user_code=None if raw.get("user_code") is None else str(raw["user_code"]),
            trust_self_signed=bool(raw.get("trust_self_signed", False)),
        )
        if plan.action not in ACTIONS:
            raise ValueError(f"plan action must be one of {ACTIONS}, got {plan.action!r}")
        return plan


@dataclass
class Result:
    url_opened: str
    wrong_state_status: int | None = None
    final_url: str | None = None
    final_text: str | None = None
    error: str | None = None
    login: str | None = None
    action: str | None = None
    plan_id: str | None = None
    pages: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, started: float) -> str:
        data: dict[str, Any] = {
            "url_opened": self.url_opened,
            "wrong_state_status": self.wrong_state_status,
            "final_url": self.final_url,
            "final_text": self.final_text,
            "error": self.error,
            "login": self.login,
            "action": self.action,
            "plan_id": self.plan_id,
            "pages": self.pages,
            "elapsed_s": round(time.monotonic() - started, 3),
        }
        data.update(self.extra)
        return json.dumps(data)


class ResultWriter:
    """Appends exactly one line per run, whoever gets there first."""

    def __init__(self, path: Path, started: float) -> None:
        self._path = path
        self._started = started
        self._lock = threading.Lock()
        self._written = False

    def write(self, result: Result) -> bool:
        with self._lock:
            if self._written:
                return False
            line = result.as_json(self._started) + "\n"
            # One write() on an O_APPEND descriptor: readers never see half a line
            # from another run.
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
            self._written = True
            return True


# ---------------------------------------------------------------- URL helpers


def redirect_uri_of(url: str) -> str | None:
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("redirect_uri")
    return values[0] if values else None


def is_loopback(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "about", "blob"):
        return True
    host = parts.hostname or ""
    return host in LOOPBACK_HOSTS or host == "::1"


def lands_on(url: str, redirect_uri: str | None) -> bool:
    """True when ``url`` is the redirect_uri (any query/fragment)."""
    if not redirect_uri:
        return False
    got = urllib.parse.urlsplit(url)
    want = urllib.parse.urlsplit(redirect_uri)
    # A browser asks for "/" where the redirect_uri has no path (MSAL's http://localhost:PORT).
    return (got.scheme, got.netloc, got.path or "/") == (want.scheme, want.netloc, want.path or "/")


def with_query(url: str, extra: dict[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query.extend(extra.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# ------------------------------------------------------------- the run itself


def send_wrong_state(redirect_uri: str, result: Result) -> None:
    """GET redirect_uri?code=x&state=WRONG, as a forged redirect would."""
    forged = with_query(redirect_uri, {"code": "x", "state": "WRONG"})
    try:
        with urllib.request.urlopen(forged, timeout=WRONG_STATE_TIMEOUT_S) as response:
            result.wrong_state_status = response.status
            response.read()
    except urllib.error.HTTPError as exc:
        result.wrong_state_status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        result.wrong_state_status = None
        result.extra["wrong_state_error"] = f"{type(exc).__name__}: {exc}"


# One function per kind of page the browser can be on. classify() says which
# kind the current page is; each handler acts on it and returns, and the walk
# goes on until the redirect lands (or it gives up).


def _visible(page: Any, selector: str) -> bool:
    try:
        return bool(page.locator(selector).first.is_visible(timeout=0))
    except Exception:
        return False


def classify(page: Any, redirect_uri: str | None) -> str:
    if lands_on(page.url, redirect_uri):
        return "redirect"
    # oidc-provider's devInteractions pages carry a hidden input prompt=login|consent.
    if (
        _visible(page, "input[name=login]")
        and page.locator("input[name=prompt][value=login]").count()
    ):
        return "oidc_provider_login"
    if page.locator("input[name=prompt][value=consent]").count():
        return "oidc_provider_consent"
    # django-oauth-toolkit: its consent form, and the site's Django login page
    # (tests/e2e/dot/templates/registration/login.html).
    if page.locator("form#authorizationForm").count():
        return "dot_consent"
    if _body_page(page) == "django-login":
        return "django_login"
    # The app's built-in sandbox names each page on its body element.
    sandbox_page = SANDBOX_PAGES.get(_body_page(page))
    if sandbox_page is not None:
        return sandbox_page
    return "unknown"


# The built-in sandbox's pages (element names: desktop_oauth/sandbox/__init__.py).
SANDBOX_PAGES = {
    "sandbox-login": "sandbox_login",
    "sandbox-consent": "sandbox_consent",
    "sandbox-device": "sandbox_device",
    "sandbox-device-done": "sandbox_device_done",
    "sandbox-error": "sandbox_error",
}
#: Pages a run ends on instead of the redirect_uri (the device flow has none).
FINAL_KINDS = frozenset({"sandbox_device_done"})


def _body_page(page: Any) -> str:
    try:
        return str(page.locator("body").get_attribute("data-page", timeout=1_000) or "")
    except Exception:
        return ""


def handle_oidc_provider_login(page: Any, plan: Plan) -> None:
    page.fill("input[name=login]", plan.login)
    page.fill("input[name=password]", "any-password")
    with page.expect_navigation(wait_until="commit", timeout=NAVIGATION_TIMEOUT_MS):
        page.click("button[type=submit]")


def handle_oidc_provider_consent(page: Any, plan: Plan) -> None:
    if plan.action == "cancel":
        target = page.get_by_role("link", name="Cancel")
    else:
        target = page.get_by_role("button", name="Continue")
    with page.expect_navigation(wait_until="commit", timeout=NAVIGATION_TIMEOUT_MS):
        target.click()


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation(wait_until="commit", timeout=NAVIGATION_TIMEOUT_MS):
        page.click(selector)


def handle_sandbox_login(page: Any, plan: Plan) -> None:
    """One button per demo user: ``button#login-<user>``."""
    button = f"#login-{plan.login}"
    if not page.locator(button).count():
        raise RuntimeError(f"the sandbox has no demo user {plan.login!r} to sign in as")
    _submit(page, button)


def handle_sandbox_consent(page: Any, plan: Plan) -> None:
    """Untick ``uncheck_scopes`` (``input#scope-<scope>``), then ``#allow`` or ``#deny``."""
    for scope in plan.uncheck_scopes:
        # An attribute selector: scope names hold dots ("notes.read"), which a
        # "#id" selector would read as a class.
        box = page.locator(f'input[id="scope-{scope}"]')
        if not box.count():
            raise RuntimeError(f"the consent page does not ask for scope {scope!r}")
        if box.is_disabled():
            raise RuntimeError(f"scope {scope!r} cannot be unticked on the consent page")
        box.uncheck()
    _submit(page, "#deny" if plan.action == "cancel" else "#allow")


def handle_sandbox_device(page: Any, plan: Plan) -> None:
    """Type the user code into ``#user-code`` (unless prefilled), then ``#device-continue``."""
    if page.locator("#error-message, .error").count():
        raise RuntimeError(f"the sandbox refused the user code: {page_text(page)}")
    if plan.user_code is not None:
        page.fill("#user-code", plan.user_code)
    _submit(page, "#device-continue")


def handle_sandbox_error(page: Any, plan: Plan) -> None:
    raise RuntimeError(f"the sandbox showed an error page: {page_text(page)}")


def handle_django_login(page: Any, plan: Plan) -> None:
    page.fill("input[name=username]", plan.login)
    page.fill("input[name=password]", "any-password")  # tests/e2e/dot_provider.py
    _submit(page, "button[type=submit]")


def handle_dot_consent(page: Any, plan: Plan) -> None:
    """django-oauth-toolkit's authorize.html: "Authorize" (name=allow) or "Cancel"."""
    if plan.action == "cancel":
        _submit(page, "form#authorizationForm input[type=submit]:not([name=allow])")
    else:
        _submit(page, "form#authorizationForm input[name=allow]")


HANDLERS: dict[str, Callable[[Any, Plan], None]] = {
    "django_login": handle_django_login,
    "dot_consent": handle_dot_consent,
    "oidc_provider_login": handle_oidc_provider_login,
    "oidc_provider_consent": handle_oidc_provider_consent,
    "sandbox_login": handle_sandbox_login,
    "sandbox_consent": handle_sandbox_consent,
    "sandbox_device": handle_sandbox_device,
    "sandbox_error": handle_sandbox_error,
}


def page_text(page: Any) -> str | None:
    try:
        return str(page.inner_text("body", timeout=2_000))
    except Exception:
        return None


def browser_environment() -> dict[str, str | float | bool]:
    """The browser's environment: ours, minus the D-Bus session.

    The tests' session bus carries the Secret Service under test; Chromium has
    no business there (it would store its own "Safe Storage" key in that keyring
    and start accessibility services on the bus).
    """
    env: dict[str, str | float | bool] = {
        key: value for key, value in os.environ.items() if key != "DBUS_SESSION_BUS_ADDRESS"
    }
    return env


def block_non_loopback(route: Any) -> None:
    if is_loopback(route.request.url):
        route.continue_()
    else:
        route.abort("blockedbyclient")


def drive(url: str, plan: Plan, redirect_uri: str | None, result: Result) -> None:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="desktop-oauth-chromium-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            env=browser_environment(),
            timeout=10_000,
            ignore_https_errors=plan.trust_self_signed,
        )
        try:
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
            context.route("**/*", block_non_loopback)
            page = context.pages[0] if context.pages else context.new_page()

            # The last URL seen at the redirect_uri, even if the loopback page
            # then fails to load (the app closed its server, say).
            landed: list[str] = []

            def on_request(request: Any) -> None:
                if request.is_navigation_request() and lands_on(request.url, redirect_uri):
                    landed.append(request.url)

            page.on("request", on_request)

            try:
                page.goto(url, wait_until="load")
            except Exception:
                if not landed:
                    raise

            for _ in range(MAX_PAGES):
                if landed or lands_on(page.url, redirect_uri):
                    break
                with contextlib.suppress(Exception):
                    page.wait_for_load_state("load", timeout=NAVIGATION_TIMEOUT_MS)
                kind = classify(page, redirect_uri)
                if kind == "redirect":
                    break
                result.pages.append(kind)
                if kind in FINAL_KINDS:
                    result.final_url = page.url
                    result.final_text = page_text(page)
                    return
                handler = HANDLERS.get(kind)
                if handler is None:
                    result.final_url = page.url
                    result.final_text = page_text(page)
                    raise RuntimeError(f"stuck on a page the driver does not know: {page.url}")
                try:
                    handler(page, plan)
                except Exception:
                    if not landed:
                        raise
            else:
                raise RuntimeError(f"still not at the redirect_uri after {MAX_PAGES} pages")

            with contextlib.suppress(Exception):
                page.wait_for_load_state("load", timeout=NAVIGATION_TIMEOUT_MS)
            result.pages.append("redirect")
            if lands_on(page.url, redirect_uri):
                result.final_url = page.url
                result.final_text = page_text(page)
            else:
                # Redirected, but the loopback page did not load (error page).
                result.final_url = landed[-1]
                result.final_text = None
                result.extra["final_load_error"] = (
                    f"the loopback page did not load; the browser stayed on {page.url}"
                )
        finally:
            context.close()


def run(url: str, plan: Plan, result: Result) -> None:
    redirect_uri = redirect_uri_of(url)
    if plan.wrong_state_first:
        if redirect_uri is None:
            raise ValueError("wrong_state_first needs a redirect_uri in the URL's query")
        send_wrong_state(redirect_uri, result)
    if plan.action == "ignore":
        return
    drive(url, plan, redirect_uri, result)


def main(argv: list[str]) -> int:
    started = time.monotonic()
    if len(argv) != 2:
        print("usage: python -m tests.e2e.browser.driver URL", file=sys.stderr)
        return 2
    url = argv[1]
    print(f"driver started (pid {os.getpid()}) for {url}", file=sys.stderr, flush=True)
    plan_name = os.environ.get(PLAN_ENV)
    if not plan_name:
        print(f"{PLAN_ENV} is not set: nowhere to read the plan from", file=sys.stderr)
        return 2
    plan_path = Path(plan_name)
    writer = ResultWriter(plan_path.with_name(plan_path.name + ".result.jsonl"), started)
    result = Result(url_opened=url)

    def watchdog() -> None:
        result.error = (result.error or "") + f"driver gave up: run exceeded {RUN_DEADLINE_S} s"
        writer.write(result)
        print(f"driver watchdog fired for {url}", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(RUN_DEADLINE_S, watchdog)
    timer.daemon = True
    timer.start()
    try:
        plan = Plan.load(plan_path)
        result.login, result.action, result.plan_id = plan.login, plan.action, plan.plan_id
        run(url, plan, result)
    except BaseException as exc:  # every failure must reach the result line
        result.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        timer.cancel()
        writer.write(result)
    print(f"driver done for {url}: error={result.error}", file=sys.stderr, flush=True)
    return 0 if result.error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
