"""What each scope lets an application do, in plain words: from the provider's
preset, from what the app knows of the provider, or from OpenID Connect's
standard scopes. Anything else has "no description"."""

from __future__ import annotations

from collections.abc import Mapping

from .presets import preset_for
from .provider import ProviderConfig

NO_DESCRIPTION = "no description"

#: OpenID Connect Core 1.0 §5.4 (claims by scope) and §11 (offline_access).
STANDARD: Mapping[str, str] = {
    "openid": "Confirm who you are: the provider tells the app your account ID",
    "profile": "See your name, username, picture and similar profile details",
    "email": "See your email address and whether it is verified",
    "address": "See your postal address",
    "phone": "See your phone number",
    "offline_access": "Stay connected while you are away (a refresh token)",
}


def descriptions(
    provider: ProviderConfig | None, known: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Scope name to description for ``provider``.

    Args:
        known: Descriptions the app holds for this provider (the built-in
            sandbox's catalogue); they win over the others.
    """
    table = dict(STANDARD)
    preset = preset_for(provider) if provider is not None else None
    if preset is not None:
        table.update({scope.name: scope.description for scope in preset.scopes})
    if known:
        table.update(known)
    return table


def describe(scope: str, table: Mapping[str, str]) -> str:
    """The description of ``scope``, or "no description"."""
    return table.get(scope) or NO_DESCRIPTION


def offered(provider: ProviderConfig | None, known: Mapping[str, str] | None = None) -> list[str]:
    """The scopes worth offering as checkboxes at ``provider``: its configured ones,
    its preset's, and those the app knows it has; in that order, once each."""
    names: list[str] = []
    if provider is not None:
        names.extend(provider.scopes)
        preset = preset_for(provider)
        if preset is not None:
            names.extend(preset.scope_names)
    names.extend(known or {})
    return list(dict.fromkeys(names))
