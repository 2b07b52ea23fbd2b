"""Provider settings and client secrets (the secrets in the keyring only)."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from .. import flow_log
from ..config import AccountRecord
from ..errors import (
    ConfigurationError,
    TokenStoreError,
)
from ..provider import Endpoints, ProviderConfig
from .records import AccountRecords


class ProviderSettings(AccountRecords):
    """Adding, naming, resolving and removing providers, and their client secrets."""

    def is_built_in(self, name: str) -> bool:
        """Whether ``name`` is a provider the app runs itself."""
        return name in self._local

    def provider_name(self, name: str) -> str:
        """The provider a person means by ``name``: its exact name, the same ignoring
        case, or a built-in provider's short name (``sandbox``).

        Raises:
            ConfigurationError: no provider is called that.
        """
        names = [p.name for p in self.config.providers]
        if name in names:
            return name
        folded = name.casefold()
        matches = [n for n in names if n.casefold() == folded]
        matches += [
            p.name for p in self._local.values() if folded in (a.casefold() for a in p.aliases)
        ]
        if len(set(matches)) == 1:
            return matches[0]
        raise ConfigurationError(f"There is no provider called {name!r}.")

    def add_provider(
        self, provider: ProviderConfig, client_secret: str | None = None, *, check: bool = True
    ) -> ProviderConfig:
        """Add (or replace) a provider; its client secret goes to the keyring only.

        Args:
            check: Fetch an issuer's discovery document first, so that a wrong URL,
                a web page instead of JSON or another issuer is refused now.

        Raises:
            DiscoveryError, IssuerMismatchError, InsecureURLError: the check failed.
            TokenStoreError: the secret could not be kept; nothing was saved.
        """
        if provider.endpoints is not None:
            provider.endpoints.validate()
        elif check:
            from ..discovery import fetch_metadata

            Endpoints.from_metadata(fetch_metadata(self.session, provider.issuer)).validate()
        if client_secret:
            self.store.save_client_secret(provider.name, client_secret)
            provider = replace(provider, has_client_secret=True)
        try:
            self._modify(lambda c: c.with_provider(provider))
        except BaseException:
            if client_secret:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete_client_secret(provider.name)
            raise
        with self._lock:
            self._resolved.pop(provider.name, None)
        return provider

    def remove_provider(self, name: str) -> tuple[AccountRecord, ...]:
        """Remove the provider ``name``, its client secret, and its accounts here.

        The accounts' tokens are deleted from the keyring, not revoked at the
        provider: revoke first to take access back there.

        Returns:
            The accounts that were forgotten.
        """
        with self._lock:
            self._config.provider(name)
            accounts = tuple(a for a in self._config.accounts if a.provider == name)
        for record in accounts:
            self.store.delete(record.id)
        self.store.delete_client_secret(name)
        self._modify(
            lambda c: replace(
                c,
                providers=tuple(p for p in c.providers if p.name != name),
                accounts=tuple(a for a in c.accounts if a.provider != name),
            )
        )
        with self._lock:
            self._resolved.pop(name, None)
        return accounts

    def set_client_secret(self, provider_name: str, secret: str) -> None:
        """Keep the client secret of ``provider_name`` in the keyring, never in a file."""
        if not secret:
            raise ConfigurationError("The client secret is empty.")
        self.store.save_client_secret(provider_name, secret)

    def client_secret(self, provider_name: str) -> str | None:
        """The client secret of ``provider_name`` from the keyring, or None."""
        return self.store.load_client_secret(provider_name)

    def delete_client_secret(self, provider_name: str) -> None:
        """Forget the client secret of ``provider_name``."""
        self.store.delete_client_secret(provider_name)

    def resolve_provider(self, name: str) -> ProviderConfig:
        """The provider ``name`` with its endpoints (discovery on first use).

        A built-in provider is started here if no process serves it yet.
        """
        with self._lock:
            cached = self._resolved.get(name)
        if cached is not None:
            return cached
        local = self._local.get(name)
        provider = local.start() if local is not None else self.config.provider(name)
        from ..discovery import resolve

        with flow_log.step(flow_log.Step.DISCOVERY, optional=True):
            resolved = resolve(self.session, provider)
        with self._lock:
            self._resolved[name] = resolved
        return resolved

    def _secret_for(self, provider: ProviderConfig) -> str | None:
        if not provider.has_client_secret:
            return None
        secret = self.client_secret(provider.name)
        if secret is None:
            raise ConfigurationError(
                f"The client secret of {provider.name!r} is not in the keyring; add the "
                "provider again with its client secret."
            )
        if (recorder := flow_log.current()) is not None:
            recorder.secrets.add("client secret", secret)
        return secret
