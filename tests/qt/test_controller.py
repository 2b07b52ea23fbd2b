"""The controller against a fake account service, passed in through its service
factory: the signals the window relies on, with no browser, keyring or network.

In the manner of qutebrowser's tests/unit/misc/test_autoupdate.py: a stand-in
for the collaborator, ``qtbot.waitSignal`` for the outcome that must come and
``qtbot.assertNotEmitted`` for the one that must not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.api import ApiResult
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.errors import ConfigurationError, ProviderHTTPError
from desktop_oauth.qt import tasks
from desktop_oauth.qt.controller import Controller

T0 = 1_000_000.0


def account(account_id: str = "a1") -> AccountRecord:
    return AccountRecord(
        id=account_id,
        provider="p",
        issuer="https://id.example.test",
        subject="s",
        display_name="alice@example.test",
        expires_at=T0 + 3600,
        has_refresh_token=False,
        connected_at=T0,
        refreshed_at=T0,
    )


@dataclass
class FakeStore:
    persistent: bool = True


@dataclass
class FakeAccountService:
    """What the controller calls on an AccountService, answering from memory. Each
    call is recorded; a method set to raise an exception raises it on its worker."""

    config: Config = field(default_factory=Config)
    store: FakeStore = field(default_factory=FakeStore)
    calls: list[str] = field(default_factory=list)
    fetch_error: Exception | None = None
    release_fetch: threading.Event | None = None

    def load(self) -> Config:
        self.calls.append("load")
        return self.config

    def view(self, account_id: str) -> Any:
        self.calls.append(f"view {account_id}")
        return account_id

    def retry_revocations(self) -> list[Any]:
        self.calls.append("retry_revocations")
        return []

    def fetch_data(self, account_id: str, url: str | None = None) -> ApiResult:
        self.calls.append(f"fetch_data {account_id}")
        if self.release_fetch is not None:
            self.release_fetch.wait(5)
        if self.fetch_error is not None:
            raise self.fetch_error
        return ApiResult(url="https://api.example.test/me", status=200, data={"sub": "s"})

    def remove(self, account_id: str) -> None:
        self.calls.append(f"remove {account_id}")
        self.config = Config()


@pytest.fixture
def service() -> FakeAccountService:
    return FakeAccountService()


@pytest.fixture
def controller(qtbot: QtBot, service: FakeAccountService) -> Iterator[Controller]:
    """A controller over ``service``; opening a browser would fail the test."""

    def no_browser(url: str) -> bool:
        raise AssertionError(f"a browser was asked to open {url}")

    made = Controller(lambda log: cast(AccountService, service), opener=no_browser)
    yield made
    made.shutdown()
    made.deleteLater()
    qtbot.wait(10)


def start(qtbot: QtBot, controller: Controller) -> Config:
    with qtbot.waitSignal(controller.configLoaded, timeout=5_000) as loaded:
        controller.start()
    config = loaded.args[0] if loaded.args else None
    assert isinstance(config, Config)
    return config


def test_start_loads_the_settings_through_the_service_factory(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    service.config = Config(accounts=(account(),))
    statuses: list[str] = []
    controller.status_message.connect(statuses.append)
    with qtbot.assertNotEmitted(controller.errorShown):
        with qtbot.assertNotEmitted(controller.storageNotice):
            with qtbot.waitSignal(controller.accountShown, timeout=5_000) as shown:
                config = start(qtbot, controller)
    assert config.accounts == (account(),)
    assert shown.args == ["a1"]  # the last account is shown first
    assert statuses[:2] == ["Loading your accounts…", "Ready."]
    assert service.calls[0] == "load"


def test_no_persistent_keyring_is_said_once_at_start(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    service.store.persistent = False
    with qtbot.waitSignal(controller.storageNotice, timeout=5_000) as notice:
        controller.start()
    assert "never written to disk" in notice.args[0]


def test_a_settings_file_moved_aside_is_reported(
    qtbot: QtBot, controller: Controller, service: FakeAccountService, tmp_path: Path
) -> None:
    service.config = Config(recovered_from=tmp_path / "config.json.damaged")
    with qtbot.waitSignal(controller.errorShown, timeout=5_000) as error:
        controller.start()
    assert str(tmp_path / "config.json.damaged") in error.args[0]


def test_fetched_data_is_shown_and_nothing_refused(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    start(qtbot, controller)
    with qtbot.assertNotEmitted(controller.apiRefused):
        with qtbot.waitSignal(controller.apiDataShown, timeout=5_000) as shown:
            controller.fetch_data("a1")
    assert shown.args[0].data == {"sub": "s"}


def test_a_refused_api_call_is_reported_and_no_data_shown(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    start(qtbot, controller)
    service.fetch_error = ProviderHTTPError("The provider refused the token (401).")
    with qtbot.assertNotEmitted(controller.apiDataShown):
        with qtbot.waitSignal(controller.apiRefused, timeout=5_000) as refused:
            controller.fetch_data("a1")
    assert refused.args == ["The provider refused the token (401)."]


def test_an_unexpected_error_never_shows_its_text(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    """Only the core's own errors are worded for people; any other exception's text
    may quote a secret, so the window gets its type only."""
    start(qtbot, controller)
    service.fetch_error = ValueError("token=at-secret-123")
    with qtbot.waitSignal(controller.apiRefused, timeout=5_000) as refused:
        controller.fetch_data("a1")
    assert "at-secret-123" not in refused.args[0]
    assert "ValueError" in refused.args[0]


def test_remove_forgets_the_account(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    service.config = Config(accounts=(account(),))
    start(qtbot, controller)
    busy: list[bool] = []
    controller.busy.connect(busy.append)
    with qtbot.assertNotEmitted(controller.errorShown):
        with qtbot.waitSignal(controller.accountForgotten, timeout=5_000) as forgotten:
            controller.remove("a1")
    assert forgotten.args == ["a1"]
    assert busy == [True, False]
    assert "remove a1" in service.calls


def test_a_failure_in_a_background_call_is_an_error_not_a_crash(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    start(qtbot, controller)

    def refuse(*args: object) -> None:
        raise ConfigurationError("That account is not known here.")

    service.remove = refuse  # type: ignore[method-assign]
    busy: list[bool] = []
    controller.busy.connect(busy.append)
    with qtbot.assertNotEmitted(controller.accountForgotten):
        with qtbot.waitSignal(controller.errorShown, timeout=5_000) as error:
            controller.remove("a1")
    assert error.args == ["That account is not known here."]
    assert busy == [True, False]


def test_results_after_shutdown_reach_no_one(
    qtbot: QtBot, controller: Controller, service: FakeAccountService
) -> None:
    """A call still running when the window closes: its answer is dropped."""
    start(qtbot, controller)
    service.release_fetch = threading.Event()
    controller.fetch_data("a1")
    qtbot.waitUntil(lambda: "fetch_data a1" in service.calls, timeout=5_000)
    controller.shutdown()
    # Every result comes back through the one relay; its own slot runs before the
    # test's (both queued to this thread, in the order connected), so once the
    # relay has carried the fetch's result, the controller has had it: no waiting.
    relay = tasks._the_relay()
    with qtbot.assertNotEmitted(controller.apiDataShown):
        with qtbot.assertNotEmitted(controller.apiRefused):
            with qtbot.waitSignal(relay.done, timeout=5_000):
                service.release_fetch.set()
