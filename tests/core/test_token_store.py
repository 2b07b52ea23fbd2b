"""Tokens live in the keyring only (docs/security.md (a)25-26, (b)19), one entry per token set
where the keyring has no size limit, in parts where it has one (Windows)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import platformdirs
import pytest

from desktop_oauth import APP_NAME
from desktop_oauth.core.errors import TokenStoreError
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.secret_service import SecretServiceKeyring, direct_backend
from desktop_oauth.core.token_store import PART_SIZE, TokenStore, is_usable
from desktop_oauth.core.tokens import TokenSet


class FlakyKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring that can be told to refuse writes or reads.

    priority = -1 so that defining it never displaces the system keyring.
    """

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.writes_left: int | None = None
        self.fail_with: type[keyring.errors.KeyringError] = keyring.errors.PasswordSetError
        self.locked = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.writes_left is not None:
            if self.writes_left == 0:
                raise self.fail_with("refused")
            self.writes_left -= 1
        self.entries[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        return self.entries.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("missing")


def big_tokens(size: int = 3000) -> TokenSet:
    return TokenSet(
        access_token="A" * size,
        refresh_token="R-" + uuid.uuid4().hex,
        id_token="h.c.s",
        expires_at=1e9,
        granted_scopes=("openid",),
    )


@pytest.fixture
def secret_service() -> Iterator[TokenStore]:
    backend = keyring.get_keyring()
    if type(backend).__module__ != "keyring.backends.SecretService":
        pytest.fail("these tests need the real Secret Service: run the README's test command")
    store = TokenStore(f"desktop-oauth-test:{uuid.uuid4().hex}", backend)
    yield store
    store.delete("acct")


@pytest.mark.integration  # the real Secret Service
def test_a_3kb_token_set_round_trips_through_the_real_keyring(
    secret_service: TokenStore,
) -> None:
    tokens = big_tokens(3000)
    secret_service.save("acct", tokens)
    assert secret_service.load("acct") == tokens
    fresh = TokenStore(secret_service._namespace, keyring.get_keyring())
    assert fresh.load("acct") == tokens  # another process would see the same


def session_bus_serial() -> int:
    """The serial of a new connection's unique name (":1.N"): connections opened so far."""
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SESSION") as probe:
        return int(str(probe.unique_name).rsplit(".", 1)[1])


@pytest.mark.integration  # the real Secret Service
def test_the_default_store_is_one_entry_over_one_dbus_connection() -> None:
    backend = direct_backend()
    assert isinstance(backend, SecretServiceKeyring), "needs the README's test environment"
    namespace = f"desktop-oauth-test:{uuid.uuid4().hex}"
    before = session_bus_serial()
    store = TokenStore(namespace)
    tokens = big_tokens(3000)
    for _ in range(5):
        store.save("acct", tokens)
        assert store.load("acct") == tokens
    connections = session_bus_serial() - before - 1  # the second probe is one
    # keyring's own backend opens a connection per call (at least 15 here).
    assert connections <= 2
    # One entry holds the whole set, readable by keyring's own backend too.
    whole = keyring.get_keyring().get_password(namespace, "acct")
    assert whole is not None and '"v": 2' in whole
    store.delete("acct")
    assert keyring.get_keyring().get_password(namespace, "acct") is None


@pytest.mark.integration  # the real Secret Service
def test_tokens_written_in_parts_by_an_earlier_release_are_read_then_replaced_whole(
    secret_service: TokenStore,
) -> None:
    old = big_tokens(3000)
    TokenStore(secret_service._namespace, keyring.get_keyring(), part_size=PART_SIZE).save(
        "acct", old
    )
    system = keyring.get_keyring()
    namespace = secret_service._namespace
    head = json.loads(system.get_password(namespace, "acct") or "{}")
    old_parts = [f"acct/{head['gen']}/{i}" for i in range(head["parts"])]
    assert len(old_parts) == 4
    store = TokenStore(namespace)
    assert store.load("acct") == old
    new = big_tokens(2000)
    store.save("acct", new)
    assert TokenStore(namespace, system).load("acct") == new
    assert [name for name in old_parts if system.get_password(namespace, name)] == []


def test_a_backend_the_person_chose_is_kept() -> None:
    chosen = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert direct_backend(chosen) is None
    assert direct_backend({"PATH": "/usr/bin"}) is None  # no session bus


@pytest.mark.integration  # the real Secret Service
def test_a_keyring_config_file_keeps_keyrings_choice(tmp_path: Path) -> None:
    bus = {"DBUS_SESSION_BUS_ADDRESS": os.environ.get("DBUS_SESSION_BUS_ADDRESS", "unix:x")}
    assert direct_backend({**bus, "XDG_CONFIG_HOME": str(tmp_path)}) is not None
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text("[backend]\n")
    assert direct_backend({**bus, "XDG_CONFIG_HOME": str(tmp_path)}) is None


def test_every_keyring_entry_fits_a_windows_credential() -> None:
    backend = FlakyKeyring()
    TokenStore("ns", backend, part_size=PART_SIZE).save("acct", big_tokens(5000))
    assert len(backend.entries) > 5
    assert all(len(value) <= PART_SIZE <= 1280 for value in backend.entries.values())


def test_a_failed_write_keeps_the_previous_tokens() -> None:
    backend = FlakyKeyring()
    store = TokenStore("ns", backend, part_size=PART_SIZE)
    old = big_tokens(2500)
    store.save("acct", old)
    entries_before = dict(backend.entries)
    backend.writes_left = 2  # the new parts start, then the keyring refuses
    new = big_tokens(2600)
    with pytest.raises(TokenStoreError) as refused:
        store.save("acct", new)
    # A sentence for the person; the backend's exception class goes to the log file.
    assert (
        str(refused.value)
        == "The keyring refused to save the tokens. The log file has the details."
    )
    assert backend.entries == entries_before  # no half-written generation left behind
    # This process keeps the unsaved tokens; another one still reads the old ones.
    assert store.load("acct") == new
    assert TokenStore("ns", backend).load("acct") == old


def test_replacing_tokens_leaves_no_stale_parts() -> None:
    backend = FlakyKeyring()
    store = TokenStore("ns", backend, part_size=PART_SIZE)
    store.save("acct", big_tokens(4000))
    store.save("acct", big_tokens(100))
    assert len(backend.entries) == 2  # head + one part
    store.delete("acct")
    assert backend.entries == {}


def test_a_locked_keyring_is_explained() -> None:
    backend = FlakyKeyring()
    store = TokenStore("ns", backend)
    store.save("acct", big_tokens(10))
    backend.locked = True
    with pytest.raises(TokenStoreError, match="locked"):
        TokenStore("ns", backend).load("acct")


def test_a_garbage_entry_asks_to_sign_in_again() -> None:
    backend = FlakyKeyring()
    backend.entries[("ns", "acct")] = "not json"
    with pytest.raises(TokenStoreError, match="sign in again"):
        TokenStore("ns", backend).load("acct")
    backend.entries[("ns", "acct")] = '{"v": 1, "gen": "g", "parts": 1}'
    backend.entries[("ns", "acct/g/0")] = '{"no": "token"}'
    with pytest.raises(TokenStoreError, match="sign in again"):
        TokenStore("ns", backend).load("acct")


def folders_the_app_writes() -> set[Path]:
    """Every folder the app could write a file in: its profile (``$DESKTOP_OAUTH_HOME``
    or the config folder) and the platform's data, state, cache and log folders for
    it. Not all of ``$HOME``: on a real home that walk took 51 s."""
    dirs = platformdirs.PlatformDirs(APP_NAME)
    return {
        Profile.from_environment().home,
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_state_dir),
        Path(dirs.user_cache_dir),
        Path(dirs.user_log_dir),
    }


def test_fail_and_null_backends_are_refused_and_nothing_reaches_disk(tmp_path: Path) -> None:
    assert not is_usable(keyring.backends.fail.Keyring())
    assert not is_usable(keyring.backends.null.Keyring())
    assert is_usable(FlakyKeyring())
    store = TokenStore("ns", keyring.backends.fail.Keyring())
    assert store.persistent is False
    tokens = big_tokens(50)
    store.save("acct", tokens)
    assert store.load("acct") == tokens  # this session only
    store.delete("acct")
    assert store.load("acct") is None
    for root in folders_the_app_writes() | {tmp_path}:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                try:
                    assert tokens.refresh_token.encode() not in path.read_bytes(), path
                except OSError:
                    continue


def test_a_plaintext_backend_is_refused() -> None:
    plaintext = type("PlaintextKeyring", (FlakyKeyring,), {"__module__": "keyrings.alt.file"})
    assert not is_usable(plaintext())


def _secret_service_call(
    connection: Any, path: str, interface: str, method: str, *args: Any
) -> Any:
    from jeepney import DBusAddress, MessageType, new_method_call

    address = DBusAddress(path, bus_name="org.freedesktop.secrets", interface=interface)
    signature, body = (args[0], args[1:]) if args else (None, ())
    reply = connection.send_and_get_reply(new_method_call(address, method, signature, body))
    assert reply.header.message_type != MessageType.error, reply.body
    return reply.body


@pytest.mark.integration  # the real Secret Service
def test_a_locked_keyring_with_no_prompt_to_show_fails_instead_of_waiting_forever() -> None:
    from jeepney.io.blocking import open_dbus_connection

    service = "/org/freedesktop/secrets"
    namespace = f"desktop-oauth-test:{uuid.uuid4().hex}"
    tokens = big_tokens(100)
    TokenStore(namespace).save("acct", tokens)
    with open_dbus_connection(bus="SESSION") as bus:
        (collection,) = _secret_service_call(
            bus, service, "org.freedesktop.Secret.Service", "ReadAlias", "s", "default"
        )
        _secret_service_call(
            bus, service, "org.freedesktop.Secret.Service", "Lock", "ao", [collection]
        )
        try:
            # This test keyring has no prompter, as over SSH: the unlock prompt never ends.
            backend = SecretServiceKeyring(prompt_timeout=0.5)
            started = time.monotonic()
            with pytest.raises(TokenStoreError, match="The keyring is locked"):
                TokenStore(namespace, backend).load("acct")
            assert time.monotonic() - started < 10
            backend.close()
        finally:
            # gnome-keyring's own unlock, with the password scripts/test gave it.
            password = os.environ["DESKTOP_OAUTH_TEST_KEYRING_PASSWORD"].encode()
            _output, session = _secret_service_call(
                bus, service, "org.freedesktop.Secret.Service", "OpenSession", "sv", "plain",
                ("s", ""),
            )  # fmt: skip
            _secret_service_call(
                bus, service, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                "UnlockWithMasterPassword", "o(oayays)", collection,
                (session, b"", password, "text/plain"),
            )  # fmt: skip
    assert TokenStore(namespace).load("acct") == tokens
    TokenStore(namespace).delete("acct")


def test_a_prompts_completed_signal_is_heard_from_the_services_unique_name() -> None:
    from jeepney import DBusAddress, HeaderFields, new_signal

    from desktop_oauth.core.secret_service import completed_rule

    prompt = "/org/freedesktop/secrets/prompt/u7"
    emitter = DBusAddress(prompt, interface="org.freedesktop.Secret.Prompt")
    signal = new_signal(emitter, "Completed", "bv", (False, ("s", "")))
    # As delivered by the bus: from the service's unique name.
    signal.header.fields[HeaderFields.sender] = ":1.7"
    assert completed_rule(prompt).matches(signal)
    other = new_signal(
        DBusAddress(prompt + "0", interface="org.freedesktop.Secret.Prompt"),
        "Completed",
        "bv",
        (False, ("s", "")),
    )
    assert not completed_rule(prompt).matches(other)
