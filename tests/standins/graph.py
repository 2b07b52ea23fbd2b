"""A stand-in for Microsoft Graph's ``GET /v1.0/me``.

Shapes from Microsoft's documentation:

* "Get user" (https://learn.microsoft.com/graph/api/user-get): the token in
  ``Authorization: Bearer``; the answer is the user with ``@odata.context``
  and the default properties (businessPhones, displayName, givenName,
  jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname,
  userPrincipalName, id).
* Errors (https://learn.microsoft.com/graph/errors): a JSON object
  ``{"error": {"code", "message", "innerError": {"date", "request-id",
  "client-request-id"}}}``; a missing or invalid token gets 401 with code
  ``InvalidAuthenticationToken``.
* Throttling (https://learn.microsoft.com/graph/throttling): 429 with
  ``Retry-After`` in seconds and code ``TooManyRequests``. Graph sends no
  quota headers on successful answers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from .server import Reply, Request, StandInServer

_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


class GraphStandIn(StandInServer):
    """Microsoft Graph for a set of valid access tokens."""

    def __init__(self) -> None:
        super().__init__(self._handle)
        self._tokens: dict[str, dict[str, object]] = {}
        #: When set, ``/me`` answers 429 with this Retry-After.
        self.throttle_seconds: int | None = None

    def add_token(self, token: str, display_name: str, upn: str) -> None:
        given, _, surname = display_name.partition(" ")
        self._tokens[token] = {
            "businessPhones": ["+1 412 555 0109"],
            "displayName": display_name,
            "givenName": given,
            "jobTitle": "Auditor",
            "mail": upn,
            "mobilePhone": None,
            "officeLocation": "12/1110",
            "preferredLanguage": "en-US",
            "surname": surname,
            "userPrincipalName": upn,
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, upn)),
        }

    def _handle(self, request: Request) -> Reply:
        request_id = str(uuid.uuid4())
        ids = [("request-id", request_id), ("client-request-id", request_id)]
        if request.method != "GET" or request.path != "/v1.0/me":
            return _error(404, "Request_ResourceNotFound", "Resource not found.", request_id, ids)
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        challenge = (
            "WWW-Authenticate",
            'Bearer realm="", authorization_uri='
            '"https://login.microsoftonline.com/common/oauth2/authorize", '
            'client_id="00000003-0000-0000-c000-000000000000"',
        )
        if not token:
            return _error(
                401,
                "InvalidAuthenticationToken",
                "Access token is empty.",
                request_id,
                [*ids, challenge],
            )
        if scheme != "Bearer" or token not in self._tokens:
            return _error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure.",
                request_id,
                [*ids, challenge],
            )
        if self.throttle_seconds is not None:
            return _error(
                429,
                "TooManyRequests",
                "Please retry again later.",
                request_id,
                [*ids, ("Retry-After", str(self.throttle_seconds))],
            )
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
            **self._tokens[token],
        }
        return Reply.json(body, 200, *ids, content_type=_JSON)


def _error(
    status: int, code: str, message: str, request_id: str, headers: list[tuple[str, str]]
) -> Reply:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request_id,
    }
    return Reply.json(
        {"error": {"code": code, "message": message, "innerError": inner}},
        status,
        *headers,
        content_type=_JSON,
    )
