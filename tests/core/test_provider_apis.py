"""GitHub's X-OAuth-Scopes and token revocation, and each preset's API call,
against local stand-ins that follow the providers' documented shapes."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator

import pytest
import requests

from desktop_oauth.core.api import ApiAuthError
from desktop_oauth.core.errors import ConfigurationError, ProviderHTTPError, RevocationError
from desktop_oauth.core.http import new_session
from desktop_oauth.core.presets import get_preset
from desktop_oauth.core.provider_apis import (
    RevokeOutcome,
    fetch_api,
    github_granted_scopes,
    revoke_github,
)
from tests.standins.github import GitHubStandIn
from tests.standins.graph import GraphStandIn
from tests.standins.server import Reply, Request, StandInServer, serving

CLIENT_ID = "Iv1.8a61f9b3a7aba766"
CLIENT_SECRET = "s3cr3t-client-value"
TOKEN = "gho_16C7e42F292c6912E7710c838347Ae178B4a"


@pytest.fixture
def github() -> Iterator[GitHubStandIn]:
    server = GitHubStandIn(CLIENT_ID, CLIENT_SECRET)
    # The person was asked for read:user and user:email but granted only read:user.
    server.add_token(TOKEN, "octocat", ("read:user",))
    with serving(server):
        yield server


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    server = GraphStandIn()
    server.add_token("eyJ0eXAi.graph.token", "Megan Bowen", "MeganB@contoso.example")
    with serving(server):
        yield server


def test_granted_scopes_are_read_from_x_oauth_scopes() -> None:
    assert github_granted_scopes({"X-OAuth-Scopes": "repo, user, gist"}) == ("repo", "user", "gist")
    assert github_granted_scopes({"x-oauth-scopes": "read:user"}) == ("read:user",)
    assert github_granted_scopes({"X-OAuth-Scopes": ""}) == ()
    assert github_granted_scopes({}) == ()


def test_github_user_shows_granted_scopes_and_the_users_quota(github: GitHubStandIn) -> None:
    result = fetch_api(new_session(), get_preset("github"), TOKEN, github.url)
    assert result.status == 200
    assert result.data["login"] == "octocat"
    assert github_granted_scopes(result.headers) == ("read:user",)
    lowered = {k.lower(): v for k, v in result.headers.items()}
    assert lowered["x-ratelimit-limit"] == "5000"
    assert lowered["x-ratelimit-remaining"] == "4999"
    assert lowered["x-ratelimit-resource"] == "core"
    assert "x-github-media-type" not in lowered  # only quota and scope headers are kept


def test_github_request_carries_the_token_in_the_header_only(github: GitHubStandIn) -> None:
    fetch_api(new_session(), get_preset("github"), TOKEN, github.url)
    (request,) = github.requests
    assert (request.method, request.target) == ("GET", "/user")
    assert TOKEN not in request.target
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    assert request.header("Accept") == "application/vnd.github+json"
    assert request.header("X-GitHub-Api-Version") == "2022-11-28"
    assert request.body == b""


def test_quota_is_per_user_not_per_app(github: GitHubStandIn) -> None:
    github.add_token("gho_second_token_same_user", "octocat", ("read:user",))
    github.add_token("gho_other_user", "hubot", ("read:user",))
    session, preset = new_session(), get_preset("github")
    fetch_api(session, preset, TOKEN, github.url)
    second = fetch_api(session, preset, "gho_second_token_same_user", github.url)
    other = fetch_api(session, preset, "gho_other_user", github.url)
    assert second.headers["x-ratelimit-used"] == "2"
    assert other.headers["x-ratelimit-used"] == "1"


def test_a_used_up_quota_is_its_own_message(github: GitHubStandIn) -> None:
    github.hourly_limit = 1
    session, preset = new_session(), get_preset("github")
    assert fetch_api(session, preset, TOKEN, github.url).headers["x-ratelimit-remaining"] == "0"
    with pytest.raises(ProviderHTTPError, match=r"quota is used up .*\(HTTP 403\)"):
        fetch_api(session, preset, TOKEN, github.url)


def test_a_bad_github_token_is_an_auth_error_without_the_token(github: GitHubStandIn) -> None:
    with pytest.raises(
        ApiAuthError,
        match=r"^The GitHub API no longer accepts this token "
        r"\(HTTP 401, Bad credentials\)\.$",
    ) as caught:
        fetch_api(new_session(), get_preset("github"), "gho_not_valid", github.url)
    assert "gho_not_valid" not in str(caught.value)


def test_revoking_a_github_token(github: GitHubStandIn) -> None:
    session = new_session()
    assert revoke_github(session, CLIENT_ID, CLIENT_SECRET, TOKEN, github.url) == (
        RevokeOutcome.REVOKED
    )
    (request,) = github.requests
    assert (request.method, request.target) == ("DELETE", f"/applications/{CLIENT_ID}/token")
    assert TOKEN not in request.target and CLIENT_SECRET not in request.target
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request.header("Authorization") == f"Basic {basic}"
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-GitHub-Api-Version") == "2022-11-28"
    assert request.json() == {"access_token": TOKEN}
    # The token no longer works, and a second revocation finds nothing to revoke.
    with pytest.raises(ApiAuthError):
        fetch_api(session, get_preset("github"), TOKEN, github.url)
    assert revoke_github(session, CLIENT_ID, CLIENT_SECRET, TOKEN, github.url) == (
        RevokeOutcome.ALREADY_INVALID
    )


def test_validation_failed_means_there_is_nothing_to_revoke(github: GitHubStandIn) -> None:
    github.unprocessable.add(TOKEN)
    assert revoke_github(new_session(), CLIENT_ID, CLIENT_SECRET, TOKEN, github.url) == (
        RevokeOutcome.ALREADY_INVALID
    )


def test_a_wrong_client_secret_is_explained_without_secrets(github: GitHubStandIn) -> None:
    with pytest.raises(RevocationError, match="client id and secret") as caught:
        revoke_github(new_session(), CLIENT_ID, "wrong-secret", TOKEN, github.url)
    text = str(caught.value)
    assert "wrong-secret" not in text and TOKEN not in text
    assert f"https://github.com/settings/connections/applications/{CLIENT_ID}" in text
    assert github.is_valid(TOKEN)


def test_a_github_outage_is_a_revocation_error(github: GitHubStandIn) -> None:
    github.outage = 503
    with pytest.raises(RevocationError, match="HTTP 503"):
        revoke_github(new_session(), CLIENT_ID, CLIENT_SECRET, TOKEN, github.url)


def test_an_unreachable_github_is_a_revocation_error() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    with pytest.raises(RevocationError, match="Could not reach"):
        revoke_github(
            new_session(),
            CLIENT_ID,
            CLIENT_SECRET,
            TOKEN,
            f"http://127.0.0.1:{port}",
            timeout=(1.0, 1.0),
        )


def test_graph_me_is_fetched_with_the_token_in_the_header_only(graph: GraphStandIn) -> None:
    result = fetch_api(new_session(), get_preset("microsoft"), "eyJ0eXAi.graph.token", graph.url)
    assert result.data["displayName"] == "Megan Bowen"
    assert result.data["userPrincipalName"] == "MeganB@contoso.example"
    assert result.data["@odata.context"].endswith("#users/$entity")
    assert result.headers == {}  # Graph sends no quota headers on success
    (request,) = graph.requests
    assert (request.method, request.target) == ("GET", "/v1.0/me")
    assert request.header("Authorization") == "Bearer eyJ0eXAi.graph.token"


def test_graph_401_names_graphs_error_code(graph: GraphStandIn) -> None:
    with pytest.raises(
        ApiAuthError, match=r"Microsoft Graph API .* \(HTTP 401, InvalidAuthenticationToken\)"
    ):
        fetch_api(new_session(), get_preset("microsoft"), "expired", graph.url)


def test_graph_throttling_says_when_to_try_again(graph: GraphStandIn) -> None:
    graph.throttle_seconds = 7
    with pytest.raises(ProviderHTTPError, match=r"quota .* \(HTTP 429\)\. Try again in 7 seconds"):
        fetch_api(new_session(), get_preset("microsoft"), "eyJ0eXAi.graph.token", graph.url)


def test_gitlab_user_keeps_gitlabs_ratelimit_headers() -> None:
    # GitLab's documented quota headers (docs.gitlab.com/user/gitlab_com/#rate-limits).
    def answer(request: Request) -> Reply:
        return Reply.json(
            {"id": 1, "username": "jsmith"},
            200,
            ("RateLimit-Limit", "2000"),
            ("RateLimit-Remaining", "1999"),
            ("X-Request-Id", "r"),
        )

    with serving(StandInServer(answer)) as server:
        result = fetch_api(requests.Session(), get_preset("gitlab"), "glpat-token", server.url)
    assert result.data["username"] == "jsmith"
    assert {k.lower() for k in result.headers} == {"ratelimit-limit", "ratelimit-remaining"}
    (request,) = server.requests
    assert request.target == "/api/v4/user"
    assert request.header("Authorization") == "Bearer glpat-token"


@pytest.mark.parametrize("base_url", ["https://evil.example", "http://192.168.1.10:8080"])
def test_a_token_is_never_sent_to_another_host(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="Refusing to send a token"):
        fetch_api(new_session(), get_preset("github"), TOKEN, base_url)
    with pytest.raises(ConfigurationError, match="Refusing to send a token"):
        revoke_github(new_session(), CLIENT_ID, CLIENT_SECRET, TOKEN, base_url)
