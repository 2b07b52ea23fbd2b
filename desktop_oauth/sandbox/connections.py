"""The "connected applications" page: which applications hold access, and removing one.

Removing an application revokes every grant the user gave it, so its access
and refresh tokens stop working at once (the API answers 401, the token
endpoint ``invalid_grant``); other applications are not touched.
"""

from __future__ import annotations

from urllib.parse import urlencode

from .catalog import CLIENTS, SCOPES
from .context import Context
from .pages import Connection, connections_page, csrf_refused_page, error_page
from .sessions import BrowserSession
from .web import WebRequest, WebResponse, redirect, single


def show(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """GET /connections."""
    user = ctx.store.user(session.user_id)
    if user is None:
        return redirect("/login?" + urlencode({"next": "/connections"}))
    by_client: dict[str, list[tuple[float, tuple[str, ...]]]] = {}
    for grant in ctx.store.live_grants(user.id, ctx.clock()):
        by_client.setdefault(grant.client_id, []).append((grant.created_at, grant.scopes))
    connections = []
    for client_id, grants in by_client.items():
        held = {name for _, scopes in grants for name in scopes}
        connections.append(
            Connection(
                client_id=client_id,
                client_name=CLIENTS[client_id].name if client_id in CLIENTS else client_id,
                scopes=tuple(scope for name, scope in SCOPES.items() if name in held),
                granted_at=min(created for created, _ in grants),
                grants=len(grants),
            )
        )
    removed = single(request.query_params(), "removed")
    notice = None
    if removed is not None:
        name = CLIENTS[removed].name if removed in CLIENTS else "The application"
        notice = f"{name} no longer has access to your account."
    return connections_page(user.name, connections, session.csrf, notice)


def remove(ctx: Context, request: WebRequest, session: BrowserSession) -> WebResponse:
    """POST /connections: revoke one application's access."""
    form = request.form()
    if not ctx.sessions.csrf_ok(session, single(form, "csrf_token")):
        return csrf_refused_page()
    if session.user_id is None:
        return redirect("/login?" + urlencode({"next": "/connections"}))
    client_id = single(form, "client_id")
    if client_id not in CLIENTS:
        return error_page("Unknown application", "That application is not known here.")
    ctx.store.revoke_client(session.user_id, client_id, ctx.clock())
    return redirect("/connections?" + urlencode({"removed": client_id}))
