"""Every preset is complete and safe: https everywhere, scopes explained, the one
redirect URI to register, and the Microsoft tenant and GitLab address rules."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from desktop_oauth.core.errors import ConfigurationError, InsecureURLError
from desktop_oauth.core.presets import (
    ENTRA_CONSUMERS_TENANT,
    ENTRA_ISSUER_TEMPLATE,
    PRESETS,
    REDIRECT_URI,
    Preset,
    get_preset,
    preset_for,
    preset_provider,
)
from desktop_oauth.core.provider import Endpoints
from desktop_oauth.core.tokens import issuer_matches

GUID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ALL_VARIANTS = [
    get_preset("github"),
    get_preset("google"),
    get_preset("microsoft"),
    get_preset("microsoft", tenant="organizations"),
    get_preset("microsoft", tenant="consumers"),
    get_preset("microsoft", tenant=GUID),
    get_preset("microsoft", tenant="contoso.onmicrosoft.com"),
    get_preset("gitlab"),
    get_preset("gitlab", base_url="https://gitlab.example.org/gitlab"),
]


def endpoint_urls(endpoints: Endpoints) -> list[str]:
    return [
        getattr(endpoints, f.name)
        for f in fields(endpoints)
        if f.name not in ("iss_parameter_supported", "code_challenge_methods")
        and getattr(endpoints, f.name)
    ]


def test_there_is_a_preset_for_each_well_known_provider() -> None:
    assert sorted(PRESETS) == ["github", "gitlab", "google", "microsoft"]


@pytest.mark.parametrize("preset", ALL_VARIANTS, ids=lambda p: f"{p.key}:{p.issuer}")
def test_every_preset_is_complete_and_https(preset: Preset) -> None:
    assert preset.display_name
    assert preset.issuer.startswith("https://")
    if preset.endpoints is not None:
        urls = endpoint_urls(preset.endpoints)
        assert len(urls) >= 2
        assert all(u.startswith("https://") and "{" not in u for u in urls), urls
        assert "S256" in preset.endpoints.code_challenge_methods
    assert preset.scopes
    for scope in preset.scopes:
        assert scope.name.strip() and " " not in scope.name
        assert len(scope.description) > 15 and scope.description.endswith(".")
    assert preset.register_url.startswith("https://")
    assert preset.register_steps and all(step.strip() for step in preset.register_steps)
    assert preset.redirect_uri == "http://127.0.0.1/callback" == REDIRECT_URI
    assert preset.redirect_note
    assert preset.client_type_note
    assert preset.api_url.startswith("https://") and preset.api_name and preset.api_service
    assert preset.rate_limit_note
    assert all(h == h.lower() for h in preset.rate_limit_headers)
    if preset.revocation_kind == "connected_apps_page":
        assert preset.revocation_url is None
    else:
        assert preset.revocation_url is not None
        assert preset.revocation_url.startswith("https://")
    assert preset.connected_apps_urls
    assert all(u.startswith("https://") for u in preset.connected_apps_urls)
    assert preset.docs and all(u.startswith("https://") for u in preset.docs)


@pytest.mark.parametrize("key", ["github", "microsoft", "gitlab"])
def test_registration_steps_name_the_redirect_uri_where_there_is_a_field(key: str) -> None:
    assert any(REDIRECT_URI in step for step in get_preset(key).register_steps)


def test_google_desktop_clients_have_no_redirect_field_and_say_so() -> None:
    google = get_preset("google")
    assert "any port" in google.redirect_note
    assert not any(REDIRECT_URI in step for step in google.register_steps)


def test_what_each_provider_needs_as_a_client_secret() -> None:
    assert get_preset("github").needs_client_secret
    assert get_preset("google").client_type == "installed"
    assert get_preset("google").needs_client_secret
    assert not get_preset("microsoft").needs_client_secret
    assert not get_preset("gitlab").needs_client_secret


def test_how_each_provider_takes_access_back() -> None:
    assert get_preset("github").revocation_kind == "github_api"
    assert get_preset("google").revocation_url == "https://oauth2.googleapis.com/revoke"
    assert get_preset("gitlab").revocation_url == "https://gitlab.com/oauth/revoke"
    microsoft = get_preset("microsoft")
    assert microsoft.revocation_kind == "connected_apps_page"
    assert "https://myapps.microsoft.com" in microsoft.connected_apps_urls
    assert get_preset("microsoft", tenant="consumers").connected_apps_urls == (
        "https://account.live.com/consent/Manage",
    )


def test_github_provider_has_fixed_endpoints_and_keeps_a_secret() -> None:
    provider = preset_provider("github", client_id=" Iv1.abc ")
    assert provider.name == "github"
    assert provider.client_id == "Iv1.abc"
    assert provider.endpoints is not None
    assert provider.endpoints.token == "https://github.com/login/oauth/access_token"
    assert provider.scopes == ("read:user", "user:email")
    assert provider.has_client_secret
    assert not provider.is_openid
    assert dict(get_preset("github").token_request_headers)["Accept"] == "application/json"


def test_google_and_gitlab_are_discovered_from_their_issuer() -> None:
    google = preset_provider("google", client_id="123.apps.googleusercontent.com")
    assert (google.issuer, google.endpoints) == ("https://accounts.google.com", None)
    assert google.scopes == ("openid", "email", "profile")
    gitlab = preset_provider(
        "gitlab", client_id="app", base_url="https://git.example.org/", name="work-gitlab"
    )
    assert (gitlab.name, gitlab.issuer, gitlab.endpoints) == (
        "work-gitlab",
        "https://git.example.org",
        None,
    )
    assert get_preset("gitlab", base_url="https://git.example.org").api_url == (
        "https://git.example.org/api/v4/user"
    )


@pytest.mark.parametrize(
    ("tenant", "issuer"),
    [
        (None, ENTRA_ISSUER_TEMPLATE),
        ("organizations", ENTRA_ISSUER_TEMPLATE),
        ("contoso.onmicrosoft.com", ENTRA_ISSUER_TEMPLATE),
        ("consumers", f"https://login.microsoftonline.com/{ENTRA_CONSUMERS_TENANT}/v2.0"),
        (GUID.upper(), f"https://login.microsoftonline.com/{GUID}/v2.0"),
    ],
)
def test_microsoft_tenants_choose_endpoints_and_the_issuer_to_expect(
    tenant: str | None, issuer: str
) -> None:
    provider = preset_provider("microsoft", client_id="00000000-aaaa", tenant=tenant)
    assert provider.issuer == issuer
    assert provider.endpoints is not None
    expected_tenant = (tenant or "common").lower()
    assert provider.endpoints.authorization == (
        f"https://login.microsoftonline.com/{expected_tenant}/oauth2/v2.0/authorize"
    )
    assert "offline_access" in provider.scopes and "User.Read" in provider.scopes
    assert not provider.has_client_secret


@pytest.mark.parametrize("tenant", ["-bad-", "common/../evil", "evil.example/x", "a b"])
def test_a_tenant_that_is_not_one_is_refused(tenant: str) -> None:
    with pytest.raises(ConfigurationError, match="not a Microsoft tenant"):
        preset_provider("microsoft", client_id="x", tenant=tenant)


def test_bad_preset_arguments_are_explained() -> None:
    with pytest.raises(ConfigurationError, match="no preset called 'gitea'"):
        preset_provider("gitea", client_id="x")
    with pytest.raises(ConfigurationError, match="client id"):
        preset_provider("github", client_id="  ")
    with pytest.raises(ConfigurationError, match="Only the Microsoft preset"):
        preset_provider("github", client_id="x", tenant="common")
    with pytest.raises(ConfigurationError, match="Only the GitLab preset"):
        preset_provider("google", client_id="x", base_url="https://example.org")
    with pytest.raises(InsecureURLError, match="plain http"):
        preset_provider("gitlab", client_id="x", base_url="http://git.example.org")
    with pytest.raises(ConfigurationError, match="plain https URL"):
        preset_provider("gitlab", client_id="x", base_url="https://git.example.org/?a=b")


def test_a_gitlab_on_this_computer_may_use_http() -> None:
    provider = preset_provider("gitlab", client_id="x", base_url="http://127.0.0.1:8929")
    assert provider.issuer == "http://127.0.0.1:8929"


def test_multi_tenant_issuer_is_checked_against_the_tokens_own_tenant() -> None:
    iss = f"https://login.microsoftonline.com/{GUID}/v2.0"
    assert issuer_matches(ENTRA_ISSUER_TEMPLATE, {"iss": iss, "tid": GUID})
    assert not issuer_matches(ENTRA_ISSUER_TEMPLATE, {"iss": iss, "tid": ENTRA_CONSUMERS_TENANT})
    assert not issuer_matches(ENTRA_ISSUER_TEMPLATE, {"iss": iss})
    evil = "https://login.microsoftonline.com/x/../evil/v2.0"
    assert not issuer_matches(ENTRA_ISSUER_TEMPLATE, {"iss": evil, "tid": "x/../evil"})
    assert not issuer_matches(
        ENTRA_ISSUER_TEMPLATE, {"iss": "https://evil.example/" + GUID + "/v2.0", "tid": GUID}
    )
    assert issuer_matches("https://accounts.google.com", {"iss": "https://accounts.google.com"})
    assert not issuer_matches("https://accounts.google.com", {"iss": "accounts.google.com"})
    assert not issuer_matches("https://accounts.google.com", {})


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("github", {}),
        ("google", {}),
        ("gitlab", {}),
        ("microsoft", {"tenant": "consumers"}),
        ("microsoft", {"tenant": GUID}),
    ],
)
def test_a_configured_provider_finds_its_preset_again(key: str, kwargs: dict[str, str]) -> None:
    provider = preset_provider(key, client_id="x", **kwargs)
    found = preset_for(provider)
    assert found is not None
    assert found.key == key
    assert found == get_preset(key, **kwargs)


def test_an_empty_tenant_means_common() -> None:
    assert preset_provider("microsoft", client_id="x", tenant=" ").endpoints == (
        get_preset("microsoft").endpoints
    )


def test_an_unknown_provider_has_no_preset() -> None:
    provider = preset_provider("google", client_id="x")
    assert preset_for(replace(provider, issuer="https://idp.example.org", preset=None)) is None
