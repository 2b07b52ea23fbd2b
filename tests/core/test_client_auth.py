"""Client authentication by the book (RFC 6749 §2.3.1, RFC 8414 §2)."""

from __future__ import annotations

import base64

import pytest
import requests

from desktop_oauth.core.client_auth import AuthMethod, choose_method, credentials
from desktop_oauth.core.errors import ConfigurationError

SECRET = "s3c%ret+with:colon and space"


def _basic_header(method: AuthMethod, client_id: str, secret: str | None) -> str:
    creds = credentials(method, client_id, secret)
    prepared = requests.Request(
        "POST", "http://127.0.0.1:1/token", data=list(creds.fields), auth=creds.auth
    ).prepare()
    return str(prepared.headers.get("Authorization", ""))


def test_basic_form_encodes_id_and_secret_before_base64() -> None:
    header = _basic_header(AuthMethod.BASIC, "my client:1", SECRET)
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    # Appendix B encoding: ':' and '%' and '+' escaped, space as '+'.
    assert decoded == "my+client%3A1:s3c%25ret%2Bwith%3Acolon+and+space"


@pytest.mark.parametrize(
    ("supported", "secret", "expected"),
    [
        ((), True, AuthMethod.BASIC),  # RFC 8414 §2 default
        (("client_secret_post", "client_secret_basic"), True, AuthMethod.BASIC),
        (("client_secret_post", "private_key_jwt"), True, AuthMethod.POST),
        (("client_secret_basic",), False, AuthMethod.NONE),
    ],
)
def test_the_method_follows_the_metadata(
    supported: tuple[str, ...], secret: bool, expected: AuthMethod
) -> None:
    assert choose_method(supported, secret) is expected


def test_no_usable_method_says_what_the_provider_lists() -> None:
    with pytest.raises(ConfigurationError, match="private_key_jwt"):
        choose_method(("private_key_jwt",), True)


def test_a_public_client_sends_client_id_in_the_body_and_no_header() -> None:
    creds = credentials(AuthMethod.NONE, "app", None)
    assert creds.auth is None and creds.fields == (("client_id", "app"),)


def test_post_sends_both_in_the_body_and_repr_hides_the_secret() -> None:
    creds = credentials(AuthMethod.POST, "app", SECRET)
    assert dict(creds.fields) == {"client_id": "app", "client_secret": SECRET}
    assert SECRET not in repr(creds)
