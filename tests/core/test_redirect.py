"""A registered redirect URI (issue 10): its accepted forms, and listening on it."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from desktop_oauth.core.errors import ConfigurationError
from desktop_oauth.core.loopback import LoopbackReceiver
from desktop_oauth.core.redirect import parse_redirect_uri, refused_redirect_hint


@pytest.mark.parametrize(
    ("uri", "host", "port", "path"),
    [
        ("http://127.0.0.1:8400/callback", "127.0.0.1", 8400, "/callback"),
        ("http://[::1]:8400/oauth/cb", "::1", 8400, "/oauth/cb"),
    ],
)
def test_the_loopback_forms_with_port_and_path_are_accepted(
    uri: str, host: str, port: int, path: str
) -> None:
    registered = parse_redirect_uri(uri)
    assert (registered.host, registered.port, registered.path) == (host, port, path)
    assert registered.uri == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:8400/callback",  # RFC 8252 §8.3: never localhost
        "https://127.0.0.1:8400/callback",
        "http://127.0.0.1/callback",  # no port
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:8400",  # no path
        "http://127.0.0.1:8400/callback?x=1",
        "http://user@127.0.0.1:8400/callback",
        "http://10.0.0.1:8400/callback",
        "not a url",
    ],
)
def test_every_other_form_is_refused_naming_the_form_to_use(uri: str) -> None:
    with pytest.raises(ConfigurationError, match=r"http://127\.0\.0\.1:PORT/callback"):
        parse_redirect_uri(uri)


def test_the_receiver_listens_on_ipv6_loopback_when_registered_so() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with LoopbackReceiver(host="::1") as receiver:
        assert receiver.redirect_uri == f"http://[::1]:{receiver.port}/callback"
        got: dict[str, str] = {}
        waiter = threading.Thread(target=lambda: got.update(receiver.wait(state="s")))
        waiter.start()
        conn = http.client.HTTPConnection("::1", receiver.port, timeout=3)
        conn.request("GET", "/callback?code=c&state=s")  # Host: [::1]:PORT
        assert conn.getresponse().status == 200
        conn.close()
        waiter.join(3)
    assert got == {"code": "c", "state": "s"}


def test_the_waiting_hint_names_the_uri_sent_and_the_one_to_register() -> None:
    url = "http://id.test/auth?redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback&x=1"
    loose = refused_redirect_hint(url, fixed=False)
    assert "it refused http://127.0.0.1:5555/callback" in loose
    assert "register http://127.0.0.1/callback (any port)" in loose
    assert "--redirect-uri" in loose
    exact = refused_redirect_hint(url, fixed=True)
    assert "register exactly http://127.0.0.1:5555/callback" in exact
