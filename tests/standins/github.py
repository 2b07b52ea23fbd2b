"""A stand-in for the two GitHub REST API calls the app makes.

It follows GitHub's documented shapes:

* ``GET /user`` ("Get the authenticated user",
  https://docs.github.com/en/rest/users/users#get-the-authenticated-user): the
  token in ``Authorization: Bearer`` (or the older ``token`` scheme); the
  answer carries ``X-OAuth-Scopes`` / ``X-Accepted-OAuth-Scopes``
  (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps)
  and the ``x-ratelimit-*`` headers, counted per user, not per app
  (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
  A bad token gets 401 ``{"message": "Bad credentials", "documentation_url": ...}``,
  a request without a User-Agent is refused
  (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api).
* ``DELETE /applications/{client_id}/token`` ("Delete an app token",
  https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token):
  Basic authentication with the app's client id and client secret, a JSON body
  ``{"access_token": "..."}``; 204 No Content when revoked, 422 Validation
  failed; an unknown token gets 404 Not Found, bad Basic credentials 401.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from .server import Reply, Request, StandInServer

DOCS = "https://docs.github.com/rest"
HOURLY_LIMIT = 5000


@dataclass
class GitHubUser:
    login: str
    id: int
    name: str
    used: int = 0  # requests this hour: the quota is per user


class GitHubStandIn(StandInServer):
    """GitHub's REST API for one registered OAuth app.

    Args:
        client_id: The OAuth app's client id.
        client_secret: Its client secret (checked with Basic auth on DELETE).
    """

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__(self._handle)
        self.client_id = client_id
        self.client_secret = client_secret
        self._users: dict[str, GitHubUser] = {}
        self._tokens: dict[str, tuple[str, tuple[str, ...]]] = {}
        #: Tokens whose revocation GitHub answers with 422 Validation Failed.
        self.unprocessable: set[str] = set()
        #: When set, every answer is this status (a GitHub outage).
        self.outage: int | None = None
        self._reset = int(time.time()) + 3600
        #: Requests per user per hour (lower it to reach the limit in a test).
        self.hourly_limit = HOURLY_LIMIT

    def add_token(self, token: str, login: str, scopes: tuple[str, ...]) -> None:
        """Issue ``token`` to user ``login`` with the scopes the person granted."""
        if login not in self._users:
            self._users[login] = GitHubUser(login, 1000 + len(self._users), login.title())
        self._tokens[token] = (login, scopes)

    def is_valid(self, token: str) -> bool:
        return token in self._tokens

    def _handle(self, request: Request) -> Reply:
        if self.outage is not None:
            return Reply(self.outage, b"", [("Content-Type", "text/html")])
        if not request.header("User-Agent"):
            return _error(
                403,
                "Request forbidden by administrative rules. Please make sure "
                "your request has a User-Agent header",
            )
        if request.method == "GET" and request.path == "/user":
            return self._get_user(request)
        prefix = "/applications/"
        if (
            request.method == "DELETE"
            and request.path.startswith(prefix)
            and request.path.endswith("/token")
        ):
            return self._delete_token(request, request.path[len(prefix) : -len("/token")])
        return _error(404, "Not Found")

    def _get_user(self, request: Request) -> Reply:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if not token:
            return _error(401, "Requires authentication")
        if scheme.lower() not in ("bearer", "token") or token not in self._tokens:
            return _error(401, "Bad credentials")
        login, scopes = self._tokens[token]
        user = self._users[login]
        if user.used >= self.hourly_limit:
            # Primary rate limit exceeded: 403 or 429 with x-ratelimit-remaining 0.
            reply = _error(403, f"API rate limit exceeded for user ID {user.id}.")
            reply.headers += self._quota(user)
            return reply
        user.used += 1
        body = {
            "login": user.login,
            "id": user.id,
            "node_id": f"MDQ6VXNlcj{user.id}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "url": f"https://api.github.com/users/{user.login}",
            "html_url": f"https://github.com/{user.login}",
            "type": "User",
            "site_admin": False,
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "bio": None,
            "public_repos": 2,
            "followers": 20,
            "following": 0,
            "created_at": "2008-01-14T04:33:35Z",
            "updated_at": "2008-01-14T04:33:35Z",
        }
        return Reply.json(
            body,
            200,
            ("X-OAuth-Scopes", ", ".join(scopes)),
            ("X-Accepted-OAuth-Scopes", ""),
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            *self._quota(user),
        )

    def _quota(self, user: GitHubUser) -> list[tuple[str, str]]:
        return [
            ("x-ratelimit-limit", str(self.hourly_limit)),
            ("x-ratelimit-remaining", str(self.hourly_limit - user.used)),
            ("x-ratelimit-used", str(user.used)),
            ("x-ratelimit-reset", str(self._reset)),
            ("x-ratelimit-resource", "core"),
        ]

    def _delete_token(self, request: Request, client_id: str) -> Reply:
        scheme, _, encoded = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return _error(401, "Requires authentication")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _error(401, "Bad credentials")
        if (user, password) != (self.client_id, self.client_secret):
            return _error(401, "Bad credentials")
        if client_id != self.client_id:
            return _error(404, "Not Found")
        try:
            body = request.json()
        except ValueError:
            return _error(400, "Problems parsing JSON")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            return _error(422, 'Invalid request.\n\n"access_token" wasn\'t supplied.')
        if token in self.unprocessable:
            return _error(422, "Validation Failed")
        if token not in self._tokens:
            return _error(404, "Not Found")
        del self._tokens[token]
        return Reply(204)


def _error(status: int, message: str) -> Reply:
    """GitHub's error body: message, documentation_url and status as a string."""
    return Reply.json(
        {"message": message, "documentation_url": DOCS, "status": str(status)}, status
    )
