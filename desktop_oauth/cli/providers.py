"""``desktop-oauth provider add | list | show | remove | check``."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ..core.accounts import AccountService
from ..core.discovery import default_scopes, fetch_metadata
from ..core.errors import ConfigurationError
from ..core.http import require_secure_url
from ..core.provider import Endpoints, ProviderConfig
from ..core.redirect import parse_redirect_uri
from ..core.redirect_probe import probe_redirect
from .console import CliError, Console
from .parser import scopes_of
from .service import open_service, require_keyring

#: What every provider's client registration needs, whatever the port (RFC 8252 §7.3).
REDIRECT_URI = "http://127.0.0.1/callback"


def run(args: argparse.Namespace, console: Console) -> int:
    """Dispatch ``provider ACTION``."""
    actions = {"add": add, "list": list_, "show": show, "remove": remove, "check": check}
    service = open_service(console)
    return actions[args.provider_command](service, args, console)


# -- add ------------------------------------------------------------------------------
def add(service: AccountService, args: argparse.Namespace, console: Console) -> int:
    """Add a provider; discovery runs now for ``--issuer``."""
    name = args.name.strip()
    client_id = args.client_id.strip()
    if not name or name != args.name:
        raise CliError("A provider's name cannot be empty or start or end with spaces.", 2)
    if not client_id:
        raise CliError("The client id cannot be empty.", 2)
    if any(p.name == name for p in service.config.providers):
        raise CliError(
            f"There is already a provider called {name!r}. Remove it first "
            f"(desktop-oauth provider remove {name}) or choose another name."
        )
    scopes = scopes_of(args)
    registered = None
    metadata: dict[str, Any] = {}
    if args.redirect_uri is not None:
        try:
            registered = parse_redirect_uri(args.redirect_uri).uri
        except ConfigurationError as exc:
            raise CliError(str(exc), 2) from None
    if args.issuer:
        metadata = fetch_metadata(service.session, args.issuer)
        provider = _from_issuer(name, args.issuer, metadata, client_id, scopes)
        provider = replace(provider, endpoint_overrides=_overrides(args))
    elif args.preset:
        provider = _from_preset(name, args, client_id, scopes)
    else:
        provider = _from_endpoints(name, args, client_id, scopes)
    if registered is not None:
        provider = replace(provider, redirect_uri=registered)

    secret = _read_client_secret() if args.client_secret_stdin else None
    if provider.has_client_secret and secret is None:
        raise CliError(
            "This provider needs the client secret too: pass --client-secret-stdin and "
            "give it on stdin.",
            2,
        )
    if secret is not None:
        require_keyring(service, "keep the client secret")
    # Discovery already ran above for --issuer; presets and endpoints are checked here.
    provider = service.add_provider(provider, secret, check=False)
    console.print(f"Added the provider {name!r} ({provider.issuer}).")
    console.print(f"Scopes: {' '.join(provider.scopes) or '(none)'}")
    if secret is not None:
        console.print("The client secret is kept in the system keyring.")
    console.print(f"Redirect URI to register at the provider: {_redirect_uri(provider)}")
    if args.issuer:
        # Before the first sign-in: does the provider take that form? (one GET, no session)
        resolved = provider.with_endpoints(Endpoints.from_metadata(metadata))
        assert resolved.endpoints is not None
        for finding in probe_redirect(service.session, provider, resolved.endpoints):
            console.print(f"Warning: {finding.message}")
            console.print(f"  -> {finding.action}")
    console.print(f"Connect an account with: desktop-oauth connect {_quoted(name)}")
    return 0


def _from_issuer(
    name: str,
    issuer: str,
    metadata: dict[str, Any],
    client_id: str,
    scopes: tuple[str, ...] | None,
) -> ProviderConfig:
    # ``metadata`` passed fetch_metadata, which fails with a sentence when the issuer
    # is unreachable, serves a web page, names another issuer (RFC 8414 §3.3) or is
    # plain http off loopback.
    Endpoints.from_metadata(metadata).validate()
    if scopes is None:
        scopes = default_scopes(metadata)
    # The endpoints are discovered again on use, so they follow the provider.
    return ProviderConfig(name=name, issuer=issuer, client_id=client_id, scopes=scopes)


def _overrides(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """``--revocation-url`` etc. given with ``--issuer``: they win over discovery."""
    given = []
    for name in Endpoints.OVERRIDABLE:
        url = (getattr(args, f"{name}_url") or "").strip()
        if url:
            require_secure_url(url, f"{name} endpoint")
            given.append((name, url))
    return tuple(given)


def _from_preset(
    name: str, args: argparse.Namespace, client_id: str, scopes: tuple[str, ...] | None
) -> ProviderConfig:
    try:
        from ..core.presets import preset_provider
    except ImportError:
        raise CliError("Provider presets are not available yet in this version.") from None
    provider = preset_provider(
        args.preset.strip().lower(),
        client_id=client_id,
        tenant=args.tenant,
        base_url=args.server,
        name=name,
    )
    return replace(provider, scopes=scopes) if scopes is not None else provider


def _from_endpoints(
    name: str, args: argparse.Namespace, client_id: str, scopes: tuple[str, ...] | None
) -> ProviderConfig:
    endpoints = Endpoints(
        authorization=args.authorize_url.strip(),
        token=args.token_url.strip(),
        userinfo=(args.userinfo_url or "").strip() or None,
        revocation=(args.revocation_url or "").strip() or None,
        introspection=(args.introspection_url or "").strip() or None,
    )
    endpoints.validate()
    parts = urlsplit(endpoints.authorization)
    # A plain OAuth 2.0 provider has no issuer identifier; its origin names it.
    issuer = f"{parts.scheme}://{parts.netloc}"
    return ProviderConfig(
        name=name, issuer=issuer, client_id=client_id, scopes=scopes or (), endpoints=endpoints
    )


def _read_client_secret() -> str:
    if sys.stdin.isatty():
        secret = getpass.getpass("Client secret (not shown): ")
    else:
        secret = sys.stdin.readline()
    secret = secret.strip("\r\n")
    if not secret.strip():
        raise CliError("No client secret came on stdin.", 2)
    return secret


# -- list / show ----------------------------------------------------------------------
def _redirect_uri(provider: ProviderConfig) -> str:
    try:
        from ..core.registration import redirect_uri_to_register
    except ImportError:
        if provider.redirect_port:
            return f"http://127.0.0.1:{provider.redirect_port}/callback"
        return f"{REDIRECT_URI} (any port: the app picks a free one at each sign-in)"
    uri = redirect_uri_to_register(provider)
    if provider.redirect_uri:
        return f"{uri} (registered with its port: the app listens exactly there)"
    if provider.redirect_port:
        return uri
    return f"{uri} (any port: the app picks a free one at each sign-in)"


def _quoted(name: str) -> str:
    return f"'{name}'" if any(c.isspace() for c in name) else name


def _as_json(service: AccountService, provider: ProviderConfig) -> dict[str, Any]:
    endpoints = None
    if provider.endpoints is not None:
        e = provider.endpoints
        endpoints = {
            "authorization": e.authorization,
            "token": e.token,
            "userinfo": e.userinfo,
            "revocation": e.revocation,
            "introspection": e.introspection,
        }
    return {
        "name": provider.name,
        "built_in": service.is_built_in(provider.name),
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "scopes": list(provider.scopes),
        "has_client_secret": provider.has_client_secret,
        "endpoints": endpoints,
        "redirect_uri": _redirect_uri(provider).split(" ")[0],
        "redirect_uri_fixed": bool(provider.redirect_uri or provider.redirect_port),
        "endpoint_overrides": dict(provider.endpoint_overrides),
        "accounts": sum(1 for a in service.config.accounts if a.provider == provider.name),
    }


def list_(service: AccountService, args: argparse.Namespace, console: Console) -> int:
    """``provider list``: one line per provider."""
    providers = service.config.providers
    if args.json:
        console.json([_as_json(service, p) for p in providers])
        return 0
    if not providers:
        console.print("No provider is set up yet. Add one with: desktop-oauth provider add --help")
        return 0
    console.table(
        ("NAME", "ISSUER", "CLIENT ID", "ACCOUNTS"),
        [
            (
                p.name,
                p.issuer,
                p.client_id,
                str(sum(1 for a in service.config.accounts if a.provider == p.name)),
            )
            for p in providers
        ],
    )
    return 0


def show(service: AccountService, args: argparse.Namespace, console: Console) -> int:
    """``provider show NAME``: everything about it, with the redirect URI to register."""
    provider = service.config.provider(service.provider_name(args.name))
    if args.json:
        console.json(_as_json(service, provider))
        return 0
    rows = [
        ("Name", provider.name),
        ("Issuer", provider.issuer),
        ("Client id", provider.client_id),
        (
            "Client secret",
            "kept in the system keyring"
            if provider.has_client_secret
            else "none (public client; PKCE protects the sign-in)",
        ),
        ("Scopes", " ".join(provider.scopes) or "(none)"),
        ("Redirect URI", _redirect_uri(provider)),
    ]
    if provider.endpoints is None:
        rows.append(("Endpoints", f"discovered from {provider.issuer} on use"))
        for endpoint, url in provider.endpoint_overrides:
            rows.append((endpoint.capitalize(), f"{url} (set here: wins over discovery)"))
    else:
        e = provider.endpoints
        rows += [
            ("Authorization", e.authorization),
            ("Token", e.token),
            ("Userinfo", e.userinfo or "(none)"),
            ("Revocation", e.revocation or "(none)"),
            ("Introspection", e.introspection or "(none)"),
        ]
    preset = _preset_of(provider)
    if preset is not None:
        rows.append(("Register at", preset.register_url.replace("{client_id}", provider.client_id)))
    accounts = [a.display_name for a in service.config.accounts if a.provider == provider.name]
    rows.append(("Accounts", ", ".join(accounts) or "(none)"))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        console.print(f"{label + ':':<{width + 1}} {value}")
    return 0


def _preset_of(provider: ProviderConfig) -> Any:
    try:
        from ..core.presets import preset_for
    except ImportError:
        return None
    return preset_for(provider)


# -- remove / check -------------------------------------------------------------------
def remove(service: AccountService, args: argparse.Namespace, console: Console) -> int:
    """``provider remove NAME``: the provider, its client secret and (if asked) its accounts."""
    args.name = service.provider_name(args.name)
    if service.is_built_in(args.name):
        raise CliError("The built-in sandbox cannot be removed; it runs only while it is used.")
    accounts = [a for a in service.config.accounts if a.provider == args.name]
    if accounts and not args.forget_accounts:
        raise CliError(
            f"{len(accounts)} account(s) are connected through {args.name!r}. Revoke them "
            "first (desktop-oauth revoke ACCOUNT), or pass --forget-accounts to forget them "
            "here without revoking them at the provider."
        )
    forgotten = service.remove_provider(args.name)
    console.print(f"Removed the provider {args.name!r} and its client secret.")
    if forgotten:
        console.print(
            f"Forgot {len(forgotten)} account(s) here; they were not revoked at the provider."
        )
    return 0


def check(service: AccountService, args: argparse.Namespace, console: Console) -> int:
    """``provider check NAME``: the registration check, one finding per line."""
    name = service.provider_name(args.name)
    # A built-in provider is started first, so that its real address is checked.
    provider = (
        service.resolve_provider(name)
        if service.is_built_in(name)
        else service.config.provider(name)
    )
    try:
        from ..core.registration import check_registration
    except ImportError:
        raise CliError("The registration check is not available yet in this version.") from None
    findings = check_registration(service.session, provider)
    problems = sum(1 for f in findings if f.level == "problem")
    if args.json:
        console.json(
            [
                {"level": f.level, "topic": f.topic, "message": f.message, "action": f.action}
                for f in findings
            ]
        )
        return 1 if problems else 0
    for finding in findings:
        console.print(f"{finding.level.upper():<8} {finding.message}")
        if finding.action:
            console.print(f"{'':<8} -> {finding.action}")
    warnings = sum(1 for f in findings if f.level == "warning")
    console.print(f"{problems} problem(s), {warnings} warning(s).")
    return 1 if problems else 0
