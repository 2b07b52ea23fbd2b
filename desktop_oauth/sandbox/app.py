"""Routing: which handler answers which request."""

from __future__ import annotations

from collections.abc import Callable

from . import api, authorize, connections, device
from .context import Context
from .pages import error_page, home_page
from .sessions import BrowserSession
from .web import WebRequest, WebResponse, error_json

Handler = Callable[[Context, WebRequest], WebResponse]
PageHandler = Callable[[Context, WebRequest, BrowserSession], WebResponse]


def _home(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    return home_page(ctx.issuer)


class SandboxApp:
    """Answers every request of one running sandbox.

    Protocol endpoints and the API never touch a browser session; pages do,
    and a page answer sets the session cookie when the session is new.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        oauth = ctx.oauth
        self._endpoints: dict[tuple[str, str], Handler] = {
            ("GET", "/.well-known/openid-configuration"): lambda c, r: oauth.discovery(r),
            ("GET", "/.well-known/oauth-authorization-server"): lambda c, r: oauth.discovery(r),
            ("GET", "/jwks"): lambda c, r: oauth.jwks(r),
            ("POST", "/token"): lambda c, r: oauth.token(r),
            ("POST", "/revoke"): lambda c, r: oauth.revoke(r),
            ("POST", "/introspect"): lambda c, r: oauth.introspect(r),
            ("GET", "/userinfo"): lambda c, r: oauth.userinfo(r),
            ("POST", "/userinfo"): lambda c, r: oauth.userinfo(r),
            ("POST", "/device_authorization"): lambda c, r: oauth.device_authorization(r),
            **api.ROUTES,
        }
        self._pages: dict[tuple[str, str], PageHandler] = {
            ("GET", "/"): _home,
            ("GET", "/authorize"): authorize.authorize,
            ("GET", "/login"): authorize.login_form,
            ("POST", "/login"): authorize.login_submit,
            ("GET", "/consent"): authorize.consent_form,
            ("POST", "/consent"): authorize.consent_submit,
            ("GET", "/device"): device.device_form,
            ("POST", "/device"): device.device_submit,
            ("GET", "/connections"): connections.show,
            ("POST", "/connections"): connections.remove,
        }

    def handle(self, request: WebRequest) -> WebResponse:
        """The response to ``request``."""
        key = (request.method, request.path)
        endpoint = self._endpoints.get(key)
        if endpoint is not None:
            return endpoint(self.ctx, request)
        page = self._pages.get(key)
        if page is None:
            return self._not_found(request)
        # Forms post from our own pages only. With Referrer-Policy no-referrer
        # browsers send "Origin: null" on POST, so only a foreign origin is refused;
        # SameSite=Lax cookies and the CSRF token do the rest.
        origin = request.header("Origin")
        if request.method == "POST" and origin not in (None, "null", self.ctx.issuer):
            return error_page("Refused", "This form was sent from another site.", 403)
        session, new_cookie = self.ctx.sessions.load(request)
        response = page(self.ctx, request, session)
        if new_cookie is not None and response.header("Set-Cookie") is None:
            response.headers.append(("Set-Cookie", self.ctx.sessions.cookie(new_cookie)))
        return response

    def _not_found(self, request: WebRequest) -> WebResponse:
        methods = sorted({m for m, p in (*self._endpoints, *self._pages) if p == request.path})
        if methods:
            response = error_json(
                405, "invalid_request", f"Use {' or '.join(methods)} for {request.path}."
            )
            response.headers.append(("Allow", ", ".join(methods)))
            return response
        return error_json(404, "not_found", "There is nothing at this address.")
