"""The log file's redaction and place, without a provider."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from desktop_oauth.core.logs import LOG_FILE, MASK, RedactingFormatter, install, log_folder, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /callback?code=abc123&state=st4te HTTP/1.1", "abc123"),
        ("GET /callback?code=abc123&state=st4te HTTP/1.1", "st4te"),
        ("body: grant_type=authorization_code&code_verifier=v3rifier&client_id=x", "v3rifier"),
        ("{'access_token': 'tok-1', 'token_type': 'Bearer', 'expires_in': 3600}", "tok-1"),
        ('{"refresh_token": "rt-2", "scope": "openid"}', "rt-2"),
        (f'{{"id_token": "{JWT}"}}', JWT),
        ("headers {'Authorization': 'Bearer opaque.tok3n'}", "opaque.tok3n"),
        ("client_secret=s3cret&x=1", "s3cret"),
        ("device_code=dc-9 user_code=WDJB-MJHT", "dc-9"),
        (f"a JWT in passing {JWT} here", JWT),
    ],
)
def test_secrets_are_masked(line: str, secret: str) -> None:
    masked = redact(line)
    assert secret not in masked
    assert MASK in masked


def test_what_is_not_secret_stays_readable() -> None:
    line = 'http://127.0.0.1:8080 "POST /token HTTP/1.1" 200 1530 client_id=my-app'
    assert redact(line) == line


def test_tracebacks_are_masked_too() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("refused: refresh_token=rt-in-exception")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    assert "rt-in-exception" not in formatter.format(record)


def test_the_log_file_lives_under_the_profile_when_one_is_set(tmp_path: Path) -> None:
    environ = {"DESKTOP_OAUTH_HOME": str(tmp_path), "DESKTOP_OAUTH_LOG_LEVEL": "DEBUG"}
    assert log_folder(environ) == tmp_path / "logs"
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        path = install(environ).path
        assert path == tmp_path / "logs" / LOG_FILE
        assert not path.parent.exists()  # opened by the first record, not before
        logging.getLogger("desktop_oauth.test").debug("state=%s", "st-123")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text()
        assert "st-123" not in text and f"state={MASK}" in text
    finally:
        for handler in root.handlers:
            if handler not in before[0]:
                handler.close()
                root.removeHandler(handler)
        root.setLevel(before[1])


def test_the_platform_log_folder_without_a_profile() -> None:
    assert "desktop-oauth" in str(log_folder({}))
