"""The device grant's web side (RFC 8628 §3.3): the /device page where the person
types the user code, then signs in and consents like for any other sign-in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from .catalog import CLIENTS
from .context import Context
from .device_codes import normalise_user_code
from .pages import csrf_refused_page, device_done_page, device_page, error_page
from .sessions import BrowserSession, Interaction
from .web import WebRequest, WebResponse, redirect, single

#: RFC 8628 §5.1: a few wrong codes per browser session, then stop guessing.
MAX_WRONG_CODES = 5


def _login_first(user_code: str) -> WebResponse:
    target = "/device" + (f"?{urlencode({'user_code': user_code})}" if user_code else "")
    return redirect("/login?" + urlencode({"next": target}))


def device_form(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """GET /device[?user_code=...]: sign in, then the code field (prefilled from the link)."""
    user_code = (single(request.query_params(), "user_code") or "")[:32]
    if session.user_id is None:
        return _login_first(user_code)
    return device_page(session.csrf, user_code)


def device_submit(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """POST /device: find the device authorization, then ask for consent."""
    form = request.form()
    typed = (single(form, "user_code") or "")[:32]
    if not ctx.sessions.csrf_ok(session, single(form, "csrf_token")):
        return csrf_refused_page()
    if session.user_id is None:
        return _login_first(typed)
    # Per cookie, and per user and overall (a fresh cookie must not reset it).
    if session.failed_user_codes >= MAX_WRONG_CODES or not ctx.guesses.allowed(session.user_id):
        return error_page(
            "Too many wrong codes", "Start again on your device to get a new code.", 429
        )
    record = ctx.devices.by_user_code(typed, ctx.clock())
    if record is None:
        session.failed_user_codes += 1
        ctx.guesses.wrong(session.user_id)
        return device_page(
            session.csrf, typed, "That code is not valid or has expired. Check your device."
        )
    code = normalise_user_code(typed)
    interaction = ctx.sessions.start(
        session,
        kind="device",
        client_id=record.client_id,
        scopes=record.scopes,
        device_hash=record.hash,
        user_code=f"{code[:4]}-{code[4:]}",
    )
    return redirect("/consent?" + urlencode({"interaction": interaction.id}))


def finish(
    ctx: Context, session: BrowserSession, interaction: Interaction, granted: tuple[str, ...]
) -> WebResponse:
    """Record Allow (``granted`` scopes) or Deny (nothing granted) for the device."""
    assert session.user_id is not None and session.auth_time is not None
    if not ctx.devices.decide(
        interaction.device_hash,
        user_id=session.user_id,
        granted=granted or None,
        auth_time=session.auth_time,
    ):
        return error_page(
            "Code no longer valid",
            "This code was already used or has expired. Start again on your device.",
        )
    return device_done_page(bool(granted), CLIENTS[interaction.client_id].name)
