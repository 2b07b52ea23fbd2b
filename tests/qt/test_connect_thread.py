"""The connection thread says why an attempt ended with a FailureKind, not a bare word."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.errors import (
    AuthorizationDeniedError,
    ConfigurationError,
    FlowCancelledError,
    FlowTimeoutError,
)
from desktop_oauth.qt.connect_thread import ConnectThread, FailureKind


class Refusing:
    """An account service whose begin_connect raises ``error`` (the attempt ends there)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def begin_connect(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (FlowCancelledError("cancelled"), FailureKind.CANCELLED),
        (FlowTimeoutError("late"), FailureKind.TIMEOUT),
        (AuthorizationDeniedError("access_denied", "no"), FailureKind.DECLINED),
        (AuthorizationDeniedError("server_error", "broken"), FailureKind.ERROR),
        (ConfigurationError("no such provider"), FailureKind.ERROR),
    ],
)
def test_each_ending_has_its_kind(qtbot: QtBot, error: Exception, kind: FailureKind) -> None:
    thread = ConnectThread(cast(AccountService, Refusing(error)), "p", 30.0)
    with qtbot.waitSignal(thread.failed, timeout=5_000) as failed:
        thread.start()
    assert thread.wait(5_000)
    message, said = failed.args
    assert said is kind and isinstance(said, FailureKind)
    assert message
