"""The sandbox package stays Qt-free and offers the small API others call."""

from __future__ import annotations

import ast
from pathlib import Path

import desktop_oauth.sandbox as sandbox_package
from desktop_oauth.sandbox import DEFAULT_SCOPES, SANDBOX_CLIENT_ID, SCOPES, provider_config

PACKAGE = Path(sandbox_package.__file__).resolve().parent


def test_sandbox_never_imports_qt() -> None:
    seen = 0
    for path in PACKAGE.rglob("*.py"):
        seen += 1
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                assert name.split(".")[0] not in ("PySide6", "shiboken6"), (path, name)
    assert seen >= 15


def test_provider_config_is_an_ordinary_openid_provider() -> None:
    provider = provider_config("http://127.0.0.1:5000")
    assert provider.name == "Sandbox (built in, no account needed)"
    assert provider.issuer == "http://127.0.0.1:5000"
    assert provider.client_id == SANDBOX_CLIENT_ID == "desktop-oauth"
    assert provider.endpoints is None  # discovered like any other provider
    assert provider.redirect_port == 0
    assert {"openid", "offline_access", "notes.read"} <= set(provider.scopes)
    assert provider.scopes == DEFAULT_SCOPES


def test_every_scope_is_described_in_plain_words() -> None:
    assert set(SCOPES) == {
        "openid",
        "profile",
        "email",
        "offline_access",
        "notes.read",
        "notes.write",
        "profile.read",
    }
    for scope in SCOPES.values():
        assert scope.description and scope.description[0].isupper()
