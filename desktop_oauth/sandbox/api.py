"""A small API to call with a token: the user's profile and notes.

Each route accepts a set of scopes (any one will do), takes the token from the
Authorization header only, and answers with the user's quota in
``X-RateLimit-*`` headers; 429 with ``Retry-After`` once the quota is used up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .context import Context
from .endpoints import BearerCheck
from .web import WebRequest, WebResponse, error_json, json_response

MAX_NOTE_CHARS = 500
MAX_NOTES_SHOWN = 50

Action = Callable[[Context, WebRequest, BearerCheck], WebResponse]


def _guarded(any_of: list[str], action: Action) -> Callable[[Context, WebRequest], WebResponse]:
    """Wrap ``action`` with the token check, the scope check and the user's quota."""

    def handler(ctx: Context, request: WebRequest) -> WebResponse:
        check = ctx.oauth.check_bearer(request, any_of)
        if check.user_id is None:
            assert check.refusal is not None
            return check.refusal  # no valid token: no user whose quota to show
        quota = ctx.quota.hit(check.user_id)
        if not quota.allowed:
            wait = quota.retry_after(ctx.clock())
            response = json_response(
                {
                    "error": "rate_limit_exceeded",
                    "error_description": (
                        f"You have used all {quota.limit} API calls allowed per "
                        f"{_seconds(ctx.quota.window)}. The quota belongs to you, not to an "
                        f"application: every app acting for you shares it. It refills in "
                        f"{wait} s."
                    ),
                    "limit": quota.limit,
                    "retry_after": wait,
                },
                429,
                [("Retry-After", str(wait))],
            )
        else:
            response = check.refusal or action(ctx, request, check)
        response.headers.extend(quota.headers())
        return response

    return handler


def _seconds(window: float) -> str:
    return f"{window:g} seconds"


def _profile(ctx: Context, request: WebRequest, check: BearerCheck) -> WebResponse:
    user = ctx.store.user(check.user_id)
    if user is None:
        return error_json(404, "not_found", "This account no longer exists.")
    data: dict[str, Any] = {"sub": user.id, "name": user.name, "username": user.username}
    if "email" in check.scopes:
        data["email"] = user.email
    return json_response(data)


def _list_notes(ctx: Context, request: WebRequest, check: BearerCheck) -> WebResponse:
    with ctx.store.transaction() as db:
        rows = db.execute(
            "SELECT id, text, created_at FROM notes WHERE user_id=? ORDER BY id DESC LIMIT ?",
            (check.user_id, MAX_NOTES_SHOWN),
        ).fetchall()
    notes = [{"id": r["id"], "text": r["text"], "created_at": r["created_at"]} for r in rows]
    return json_response({"sub": check.user_id, "notes": notes})


def _add_note(ctx: Context, request: WebRequest, check: BearerCheck) -> WebResponse:
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return error_json(415, "invalid_request", 'Send the note as JSON: {"text": "..."}.')
    try:
        body = json.loads(request.body_text())
    except (UnicodeDecodeError, ValueError):
        return error_json(400, "invalid_request", "The body is not valid JSON.")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return error_json(400, "invalid_request", 'The note needs a non-empty "text".')
    if len(text) > MAX_NOTE_CHARS:
        return error_json(
            400, "invalid_request", f"A note holds at most {MAX_NOTE_CHARS} characters."
        )
    now = ctx.clock()
    with ctx.store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO notes (user_id, text, created_at, client_id) VALUES (?, ?, ?, ?)",
            (check.user_id, text.strip(), now, check.client_id),
        )
    return json_response({"id": cursor.lastrowid, "text": text.strip(), "created_at": now}, 201)


ROUTES: dict[tuple[str, str], Callable[[Context, WebRequest], WebResponse]] = {
    ("GET", "/api/profile"): _guarded(["profile.read", "profile"], _profile),
    ("GET", "/api/notes"): _guarded(["notes.read"], _list_notes),
    ("POST", "/api/notes"): _guarded(["notes.write"], _add_note),
}
