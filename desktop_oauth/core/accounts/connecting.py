"""Connecting an account and saving what the connection produced."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import flow_log
from ..config import AccountRecord
from ..errors import (
    DifferentPersonError,
    TokenStoreError,
)
from ..tokens import TokenSet
from .providers import ProviderSettings
from .records import (
    AccountView,
    dead_by_expiry,
    only_what_revokes,
    pending_entry,
    superseded_entry,
)

if TYPE_CHECKING:
    from ..connect import ConnectAttempt, ConnectResult


def account_id_for(issuer: str, subject: str) -> str:
    """A stable id for the account (issuer, subject) that reveals neither."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return f"acct-{digest[:20]}"


class Connecting(ProviderSettings):
    """Starting a connection and saving its result."""

    def begin_connect(
        self,
        name: str,
        *,
        scopes: Sequence[str] | None = None,
        deadline_seconds: float = 300.0,
        account_id: str | None = None,
    ) -> ConnectAttempt:
        """Resolve the provider and hold a loopback port for a new connection.

        Args:
            scopes: Other scopes for this attempt (more, for incremental consent,
                or fewer).
            account_id: Sign in again as this account's person: the request carries
                ``login_hint`` and ``prompt=login`` (OIDC Core §3.1.2.1), so the
                provider asks for that person instead of reusing whoever is signed in.

        The attempt's steps are recorded in :attr:`flow_log` from here (its
        ``operation``): connect, sign in again, or change scopes when the account's
        person is asked for other scopes.

        Raises:
            PortUnavailableError: the redirect port is taken (before any browser opens).
        """
        from ..connect import ConnectAttempt  # oauthlib and the loopback receiver

        kind = flow_log.Operation.CONNECT
        if account_id is not None:
            before = self._record(account_id).requested_scopes
            changed = scopes is not None and tuple(scopes) != tuple(before)
            kind = flow_log.Operation.CHANGE_SCOPES if changed else flow_log.Operation.SIGN_IN_AGAIN
        recorder = self.flow_log.start(kind, provider=name, account_id=account_id)
        with recorder.active():
            provider = self.resolve_provider(name)
            if scopes:
                provider = replace(provider, scopes=tuple(scopes))
            if account_id is not None and provider.is_openid:
                provider = replace(
                    provider,
                    extra_authorize_params=(
                        *provider.extra_authorize_params,
                        *self._same_person(self._record(account_id), provider.scopes),
                    ),
                )
            return ConnectAttempt(
                provider,
                self.session,
                deadline_seconds=deadline_seconds,
                client_secret=self._secret_for(provider),
                clock=self._clock,
                operation=recorder,
            )

    def _same_person(
        self, record: AccountRecord, scopes: Sequence[str]
    ) -> tuple[tuple[str, str], ...]:
        claims = {**(record.last_data or {}), **self._stored_claims(record)}
        email = claims.get("email")
        hint = email if isinstance(email, str) and email else record.display_name
        # OIDC Core §11: offline_access needs prompt=consent, kept beside login.
        prompt = "login consent" if "offline_access" in scopes else "login"
        return (("login_hint", hint), ("prompt", prompt))

    def save_connection(self, result: ConnectResult, *, same_as: str | None = None) -> AccountView:
        """Store the tokens (keyring) and the account's metadata (config file).

        Connecting the same identity again updates its account, remembering what
        the previous consent granted.

        Args:
            same_as: The account this sign-in was meant to renew.

        Raises:
            DifferentPersonError: someone else signed in than ``same_as``'s person;
                nothing was stored and that account is untouched.
        """
        view = self.account_view(result)
        if same_as is not None and view.record.id != same_as:
            expected = self._record(same_as)
            raise DifferentPersonError(view.record.display_name, expected.display_name, result)
        view = replace(view, record=self._keep_superseded(view.record, result.tokens))
        notice = ""
        try:
            self.store.save(view.record.id, result.tokens)
        except TokenStoreError as exc:
            notice = f"{exc} The tokens are kept until the app closes."
        if not self.store.persistent:
            notice = (
                "No secure keyring is available, so tokens are kept only until the "
                "app closes. Nothing was written to disk."
            )
        self._modify(lambda c: c.with_account(view.record))
        return replace(view, notice=notice)

    def _keep_superseded(self, record: AccountRecord, new: TokenSet) -> AccountRecord:
        """The tokens this connection replaces stay in the keyring, under an entry of
        their own, until the provider has been told (RFC 7009) at Revoke or Remove: a
        re-consent may share its grant with them, so revoking them now could end it."""
        with self._lock:
            before = next((a for a in self._config.accounts if a.id == record.id), None)
        kept = self._live_superseded(before.superseded) if before is not None else ()
        for name in (record.id, pending_entry(record.id)):
            try:
                old = self.store.load(name)
            except TokenStoreError:
                continue
            if old is None or old.access_token == new.access_token:
                continue
            if dead_by_expiry(old, self._clock()):
                if name != record.id:
                    with contextlib.suppress(TokenStoreError):
                        self.store.delete(name)
                continue
            entry = superseded_entry(record.id)
            try:
                self.store.save(entry, only_what_revokes(old))
            except TokenStoreError:
                continue
            kept = (*kept, entry)
            if name != record.id:
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(name)
        return replace(record, superseded=kept)

    def _live_superseded(self, entries: tuple[str, ...]) -> tuple[str, ...]:
        """``entries`` without those holding nothing to revoke any more: no refresh
        token, and an access token past its expiry (dead at the provider by itself).
        Their keyring entries are deleted, so the list does not grow forever."""
        live = []
        now = self._clock()
        for entry in entries:
            try:
                tokens = self.store.load(entry)
            except TokenStoreError:
                live.append(entry)  # unread is not known dead
                continue
            if tokens is None:
                continue
            if dead_by_expiry(tokens, now):
                with contextlib.suppress(TokenStoreError):
                    self.store.delete(entry)
                continue
            live.append(entry)
        return tuple(live)

    def account_view(self, result: ConnectResult) -> AccountView:
        """The account a connection produced, before anything is stored (no I/O), so
        the window can show it while the keyring is still being written."""
        provider = result.provider
        userinfo = result.userinfo.data if result.userinfo else {}
        subject = str(result.claims.get("sub") or userinfo.get("sub"))
        account_id = account_id_for(provider.issuer, subject)
        recorder = result.operation or flow_log.current()
        if recorder is not None:
            recorder.set_account(account_id)
        with self._lock:
            before = next((a for a in self._config.accounts if a.id == account_id), None)
        now = self._clock()
        record = AccountRecord(
            id=account_id,
            provider=provider.name,
            issuer=provider.issuer,
            subject=subject,
            display_name=_display_name(result.claims, userinfo, subject),
            requested_scopes=result.requested_scopes,
            granted_scopes=result.tokens.granted_scopes,
            expires_at=result.tokens.expires_at,
            has_refresh_token=result.tokens.refresh_token is not None,
            connected_at=now,
            previous_granted_scopes=before.granted_scopes if before else None,
            refreshed_at=now,
            last_data=userinfo or None,
            api_urls=provider.api_urls,
        )
        return AccountView(record, result.tokens, result.claims, result.userinfo)


def _display_name(claims: dict[str, Any], userinfo: dict[str, Any], subject: str) -> str:
    for source in (userinfo, claims):
        for key in ("email", "preferred_username", "name", "login"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return subject
