"""The authorization endpoint and the pages between it and the redirect back:
sign-in and consent.

oauthlib checks the request when it arrives (client, redirect URI, PKCE,
scopes) and again when the person allows it, when it makes the code. Every
redirect back carries ``iss`` (RFC 9207 §2), errors included.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

from oauthlib.common import add_params_to_uri, urldecode
from oauthlib.oauth2.rfc6749 import errors

from . import device
from .catalog import CLIENTS, SCOPES
from .context import Context
from .pages import UserChoice, consent_page, csrf_refused_page, error_page, login_page
from .sessions import BrowserSession, Interaction
from .web import WebRequest, WebResponse, redirect, single

_EXPIRED = (
    "This sign-in has expired or was already answered. Go back to the application and start again."
)


def with_iss(ctx: Context, uri: str, params: Iterable[tuple[str, str]]) -> str:
    """``uri`` with ``params`` and the issuer added to its query (RFC 9207 §2)."""
    return str(add_params_to_uri(uri, [*params, ("iss", ctx.issuer)]))


def authorize(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """GET /authorize (RFC 6749 §4.1.1): check, then send the person to sign in or consent."""
    try:
        urldecode(request.query)
    except ValueError:
        return error_page(
            "This sign-in request cannot be used",
            "Its address is malformed. The application that sent you here needs "
            "to fix its request; nothing was sent back to it.",
        )
    try:
        scopes, info = ctx.oauth.server.validate_authorization_request(
            request.uri, "GET", None, dict(request.headers)
        )
    except errors.FatalClientError as exc:
        # RFC 6749 §4.1.2.1: with a bad client or redirect URI, never redirect.
        return error_page(
            "This sign-in request cannot be used",
            f"{exc.description} The application that sent you here needs to "
            "fix its request; nothing was sent back to it.",
        )
    except errors.OAuth2Error as exc:
        if not exc.redirect_uri:
            return error_page("This sign-in request cannot be used", str(exc.description))
        return redirect(with_iss(ctx, exc.redirect_uri, exc.twotuples))
    params = request.query_params()
    prompt = set((single(params, "prompt") or "").split())
    interaction = ctx.sessions.start(
        session,
        kind="authorize",
        client_id=info["client_id"],
        scopes=tuple(dict.fromkeys(scopes)),  # each scope once on the consent page
        uri=request.uri,
        redirect_uri=info["redirect_uri"],
        state=info.get("state"),
        needs_login=bool(prompt & {"login", "select_account"}) or _too_old(ctx, session, params),
    )
    return _next_step(session, interaction)


def _too_old(ctx: Context, session: BrowserSession, params: dict[str, list[str]]) -> bool:
    """OIDC Core §3.1.2.1 max_age: sign in again when the last sign-in is older."""
    max_age = single(params, "max_age")
    if max_age is None or not max_age.isdigit() or session.auth_time is None:
        return False
    return ctx.clock() - session.auth_time > int(max_age)


def _next_step(session: BrowserSession, interaction: Interaction) -> WebResponse:
    step = "login" if session.user_id is None or interaction.needs_login else "consent"
    return redirect(f"/{step}?" + urlencode({"interaction": interaction.id}))


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in (never another site: no open redirect)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or not (target.isascii() and target.isprintable())  # CR/LF: urlsplit strips them
    ):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def login_form(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """GET /login: the demo users to choose from."""
    params = request.query_params()
    users = [UserChoice(u.id, u.name, u.email) for u in ctx.store.users()]
    if "interaction" in params:
        interaction = ctx.sessions.interaction(session, single(params, "interaction"))
        if interaction is None:
            return error_page("Sign-in expired", _EXPIRED)
        return login_page(
            users,
            session.csrf,
            carry=("interaction", interaction.id),
            client_name=CLIENTS[interaction.client_id].name,
        )
    return login_page(
        users, session.csrf, carry=("next", safe_next(single(params, "next"))), client_name=None
    )


def login_submit(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """POST /login: sign in as the chosen user, then go on."""
    form = request.form()
    if not ctx.sessions.csrf_ok(session, single(form, "csrf_token")):
        return csrf_refused_page()
    user = ctx.store.user(single(form, "user"))
    if user is None:
        return error_page("Unknown user", "Choose one of the users listed.")
    interaction = ctx.sessions.interaction(session, single(form, "interaction"))
    if "interaction" in form and interaction is None:
        return error_page("Sign-in expired", _EXPIRED)
    cookie = ctx.sessions.sign_in(session, user.id)
    if interaction is not None:
        interaction.needs_login = False
        target = "/consent?" + urlencode({"interaction": interaction.id})
    else:
        target = safe_next(single(form, "next"))
    response = redirect(target)
    response.headers.append(("Set-Cookie", ctx.sessions.cookie(cookie)))
    return response


def consent_form(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """GET /consent: what the application asks for, one checkbox per scope."""
    interaction = ctx.sessions.interaction(session, single(request.query_params(), "interaction"))
    if interaction is None:
        return error_page("Sign-in expired", _EXPIRED)
    user = ctx.store.user(session.user_id)
    if user is None or interaction.needs_login:
        return _next_step(session, interaction)
    return consent_page(
        client_name=CLIENTS[interaction.client_id].name,
        user_name=user.name,
        scopes=[SCOPES[name] for name in interaction.scopes if name in SCOPES],
        csrf=session.csrf,
        interaction_id=interaction.id,
        user_code=interaction.user_code or None,
    )


def consent_submit(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """POST /consent: Allow (with the ticked scopes) or Deny."""
    form = request.form()
    if not ctx.sessions.csrf_ok(session, single(form, "csrf_token")):
        return csrf_refused_page()
    interaction = ctx.sessions.interaction(session, single(form, "interaction"))
    if interaction is None:
        return error_page("Sign-in expired", _EXPIRED)
    if session.user_id is None or interaction.needs_login:
        return _next_step(session, interaction)
    decision = single(form, "decision")
    if decision not in ("allow", "deny"):
        return error_page("Please choose", "Press Allow or Deny.")
    if not ctx.sessions.finish(interaction):
        return error_page("Already answered", _EXPIRED)
    ticked = set(form.get("scope", []))
    granted = tuple(
        name
        for name in interaction.scopes
        if name in ticked or (name in SCOPES and SCOPES[name].required)
    )
    if decision == "deny":
        granted = ()  # nothing ticked counts as Deny too (oauthlib reads [] as "all asked")
    if interaction.kind == "device":
        return device.finish(ctx, session, interaction, granted)
    return _finish_authorization(ctx, session, interaction, granted)


def _finish_authorization(
    ctx: Context, session: BrowserSession, interaction: Interaction, granted: tuple[str, ...]
) -> WebResponse:
    if not granted:
        denied = errors.AccessDeniedError(
            description="The user declined the request.", state=interaction.state
        )
        return redirect(with_iss(ctx, interaction.redirect_uri, denied.twotuples))
    try:
        headers, _, _ = ctx.oauth.server.create_authorization_response(
            interaction.uri,
            "GET",
            None,
            None,
            scopes=list(granted),
            credentials={"user": session.user_id, "auth_time": session.auth_time},
        )
    except errors.FatalClientError as exc:
        return error_page("This sign-in request cannot be used", str(exc.description))
    except errors.OAuth2Error as exc:
        return redirect(with_iss(ctx, interaction.redirect_uri, exc.twotuples))
    # oauthlib built the redirect (code, state, or an error); iss goes on every one.
    return redirect(with_iss(ctx, headers["Location"], ()))
