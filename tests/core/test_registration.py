"""The registration check against real discovery documents served locally: every
fault becomes a finding in words, never an exception."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from desktop_oauth.core.http import new_session
from desktop_oauth.core.presets import ENTRA_ISSUER_TEMPLATE, preset_provider
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.registration import Finding, check_registration, redirect_uri_to_register
from tests.standins.discovery import WELL_KNOWN, DiscoveryStandIn
from tests.standins.server import serving


class CountingSession(requests.Session):
    """A real session that counts the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(str(url))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def idp() -> Iterator[DiscoveryStandIn]:
    with serving(DiscoveryStandIn()) as server:
        yield server


def provider_at(issuer: str) -> ProviderConfig:
    return ProviderConfig(name="idp", issuer=issuer, client_id="desktop-app")


def by_topic(findings: list[Finding]) -> dict[str, Finding]:
    return {f.topic: f for f in findings}


def assert_readable(findings: list[Finding]) -> None:
    for finding in findings:
        assert finding.level in ("ok", "warning", "problem")
        assert finding.message.strip()
        if finding.level != "ok":
            assert finding.action.strip(), finding


def test_a_good_provider_passes_every_check(idp: DiscoveryStandIn) -> None:
    findings = check_registration(new_session(), provider_at(idp.url))
    assert_readable(findings)
    assert [f.topic for f in findings] == [
        "redirect_uri",
        "discovery",
        "clock",
        "https",
        "pkce",
        "iss",
        "revocation",
        "userinfo",
    ]
    assert {f.level for f in findings} == {"ok"}
    assert findings[0].message == "The redirect URI to register is http://127.0.0.1/callback"
    # The discovery document, then one cookie-less probe of the authorization
    # endpoint: does it refuse a redirect URI with a port of the app's choosing?
    assert idp.requests[0].target == WELL_KNOWN
    assert len(idp.requests) <= 2


def test_a_mismatched_issuer_is_a_problem_and_nothing_else_is_trusted(
    idp: DiscoveryStandIn,
) -> None:
    idp.changes["issuer"] = "https://attacker.example"
    findings = check_registration(new_session(), provider_at(idp.url))
    assert_readable(findings)
    assert [f.topic for f in findings] == ["redirect_uri", "discovery"]
    problem = findings[1]
    assert problem.level == "problem"
    assert "https://attacker.example" in problem.message and idp.url in problem.message
    assert "matches exactly" in problem.message


def test_a_trailing_slash_mismatch_says_what_to_enter(idp: DiscoveryStandIn) -> None:
    findings = check_registration(new_session(), provider_at(idp.url + "/"))
    problem = by_topic(findings)["discovery"]
    assert problem.level == "problem"
    assert problem.action == f"Enter the issuer exactly as the provider writes it: {idp.url}"


def test_microsofts_template_issuer_points_to_the_microsoft_preset(idp: DiscoveryStandIn) -> None:
    idp.changes["issuer"] = ENTRA_ISSUER_TEMPLATE
    problem = by_topic(check_registration(new_session(), provider_at(idp.url)))["discovery"]
    assert "Microsoft preset" in problem.action


def test_plain_http_issuer_on_another_host_is_refused_before_any_request() -> None:
    session = CountingSession()
    findings = check_registration(session, provider_at("http://idp.example.com"))
    assert_readable(findings)
    problem = by_topic(findings)["discovery"]
    assert problem.level == "problem"
    assert "plain http" in problem.message and "Nothing was fetched" in problem.message
    assert session.sent == []


def test_html_instead_of_json_is_explained(idp: DiscoveryStandIn) -> None:
    idp.html = True
    problem = by_topic(check_registration(new_session(), provider_at(idp.url)))["discovery"]
    assert problem.level == "problem"
    assert "web page" in problem.message
    assert "network sign-in page" in problem.action


def test_a_provider_that_does_not_answer_in_time(idp: DiscoveryStandIn) -> None:
    idp.delay = 1.5
    started = time.monotonic()
    findings = check_registration(new_session(), provider_at(idp.url), timeout=(2.0, 0.15))
    assert time.monotonic() - started < 1.2
    problem = by_topic(findings)["discovery"]
    assert problem.level == "problem"
    assert "did not answer in time" in problem.message


def test_an_unreachable_provider() -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    problem = by_topic(
        check_registration(
            new_session(), provider_at(f"http://127.0.0.1:{port}"), timeout=(1.0, 1.0)
        )
    )["discovery"]
    assert problem.level == "problem"
    assert "Could not reach" in problem.message


def test_a_wrong_issuer_path_gets_a_404_finding(idp: DiscoveryStandIn) -> None:
    problem = by_topic(check_registration(new_session(), provider_at(idp.url + "/realms/x")))[
        "discovery"
    ]
    assert "HTTP 404" in problem.message
    assert "/.well-known/openid-configuration" in problem.action


def test_missing_pkce_support_is_a_warning(idp: DiscoveryStandIn) -> None:
    idp.changes["code_challenge_methods_supported"] = None
    pkce = by_topic(check_registration(new_session(), provider_at(idp.url)))["pkce"]
    assert pkce.level == "warning"
    assert "does not say whether it supports PKCE" in pkce.message


def test_pkce_without_s256_is_a_problem(idp: DiscoveryStandIn) -> None:
    idp.changes["code_challenge_methods_supported"] = ["plain"]
    pkce = by_topic(check_registration(new_session(), provider_at(idp.url)))["pkce"]
    assert pkce.level == "problem"
    assert "S256" in pkce.action


def test_missing_iss_support_is_a_warning(idp: DiscoveryStandIn) -> None:
    idp.changes["authorization_response_iss_parameter_supported"] = None
    iss = by_topic(check_registration(new_session(), provider_at(idp.url)))["iss"]
    assert iss.level == "warning"
    assert "RFC 9207" in iss.message


def test_missing_revocation_and_userinfo_are_warnings(idp: DiscoveryStandIn) -> None:
    idp.changes.update(revocation_endpoint=None, userinfo_endpoint=None)
    findings = by_topic(check_registration(new_session(), provider_at(idp.url)))
    assert findings["revocation"].level == "warning"
    assert "connected apps" in findings["revocation"].action
    assert findings["userinfo"].level == "warning"


def test_an_http_endpoint_on_a_public_host_is_a_problem(idp: DiscoveryStandIn) -> None:
    idp.changes["token_endpoint"] = "http://idp.example.com/token"
    findings = check_registration(new_session(), provider_at(idp.url))
    https = [f for f in findings if f.topic == "https"]
    assert [f.level for f in https] == ["problem"]
    assert "token endpoint" in https[0].message and "idp.example.com" in https[0].message


def test_a_document_without_endpoints_is_a_problem(idp: DiscoveryStandIn) -> None:
    idp.changes["token_endpoint"] = None
    problem = by_topic(check_registration(new_session(), provider_at(idp.url)))["discovery"]
    assert problem.level == "problem"
    assert "token endpoint" in problem.message


def test_a_server_clock_ten_minutes_off_says_check_your_clock() -> None:
    with serving(DiscoveryStandIn(clock_offset=600)) as idp:
        findings = check_registration(new_session(), provider_at(idp.url))
    clock = by_topic(findings)["clock"]
    assert clock.level == "warning"
    assert "about 10 minutes behind the provider's" in clock.message
    assert "Check your clock" in clock.action


def test_a_local_clock_ahead_is_reported_too(idp: DiscoveryStandIn) -> None:
    findings = check_registration(
        new_session(), provider_at(idp.url), clock=lambda: time.time() + 600
    )
    assert "about 10 minutes ahead of" in by_topic(findings)["clock"].message


def test_a_small_clock_difference_is_fine(idp: DiscoveryStandIn) -> None:
    findings = check_registration(
        new_session(), provider_at(idp.url), clock=lambda: time.time() + 90
    )
    assert by_topic(findings)["clock"].level == "ok"


def test_a_fixed_port_is_part_of_the_redirect_uri() -> None:
    provider = replace(provider_at("https://idp.example.org"), redirect_port=8400)
    assert redirect_uri_to_register(provider) == "http://127.0.0.1:8400/callback"


def test_github_is_checked_from_the_preset_without_network() -> None:
    session = CountingSession()
    findings = check_registration(session, preset_provider("github", client_id="Iv1.x"))
    assert_readable(findings)
    assert session.sent == []
    topics = by_topic(findings)
    assert "any port" in topics["redirect_uri"].action
    assert topics["pkce"].level == "ok"
    assert topics["revocation"].level == "ok" and "client secret" in topics["revocation"].message
    assert topics["userinfo"].message == "The data panel shows Your GitHub profile (GET /user)."
    assert "client_secret" not in topics


def test_github_without_a_saved_secret_is_a_problem() -> None:
    provider = replace(preset_provider("github", client_id="Iv1.x"), has_client_secret=False)
    problem = by_topic(check_registration(CountingSession(), provider))["client_secret"]
    assert problem.level == "problem"
    assert "GitHub needs the client secret" in problem.message


def test_microsoft_names_the_page_where_access_is_removed() -> None:
    provider = preset_provider("microsoft", client_id="app", tenant="organizations")
    findings = by_topic(check_registration(CountingSession(), provider))
    assert "Mobile and desktop applications" in findings["redirect_uri"].action
    assert findings["revocation"].level == "warning"
    assert "https://myapps.microsoft.com" in findings["revocation"].action
