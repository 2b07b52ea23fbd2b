"""The loopback receiver against real sockets (docs/security.md (a)1-13, 30 and (b)1-11)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from desktop_oauth.core.errors import (
    FlowCancelledError,
    FlowTimeoutError,
    PortUnavailableError,
    ReceiverError,
)
from desktop_oauth.core.loopback import LoopbackReceiver
from desktop_oauth.core.loopback_pages import CLOSE_SCRIPT

HOST = "127.0.0.1"
STATE = "st4te-Secret-0123456789abcdef"
CODE = "c0de-Secret-9876543210fedcba"
DEFAULT_HOST = object()
SECURITY_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "pragma": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",  # docs/security.md finding 9
    "connection": "close",
}


@dataclass
class Response:
    status: int  # 0: the connection was dropped without an answer
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def parse_response(raw: bytes) -> Response:
    if not raw:
        return Response(0, {}, b"")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status, headers, body)


def send_raw(port: int, data: bytes, *, half_close: bool = False) -> Response:
    """Send bytes, read until the server closes; a reset counts as a drop."""
    chunks = []
    with socket.create_connection((HOST, port), timeout=3) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return parse_response(b"".join(chunks))


def request(
    port: int,
    target: str | bytes,
    *,
    method: str = "GET",
    host: Any = DEFAULT_HOST,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Response:
    if isinstance(target, str):
        target = target.encode("ascii")
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    if host is DEFAULT_HOST:
        host = f"{HOST}:{port}"
    if host is not None:
        lines.append(f"Host: {host}".encode())
    lines += [f"{name}: {value}".encode() for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}".encode())
    return send_raw(port, b"\r\n".join(lines) + b"\r\n\r\n" + body)


def callback(state: str = STATE, code: str = CODE, **extra: str) -> str:
    return "/callback?" + urlencode({"code": code, "state": state, **extra})


def assert_refused(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((HOST, port), timeout=1).close()


@dataclass
class Flow:
    """A receiver whose wait() runs on a thread, as the QThread worker does."""

    receiver: LoopbackReceiver
    wait_kwargs: dict[str, Any] = field(default_factory=dict)
    result: dict[str, str] | None = None
    error: BaseException | None = None
    finished_at: float | None = None

    def __post_init__(self) -> None:
        self.started_at = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.receiver.wait(state=STATE, **self.wait_kwargs)
        except BaseException as exc:
            self.error = exc
        self.finished_at = time.monotonic()

    @property
    def port(self) -> int:
        return self.receiver.port

    def get(self, target: str | bytes, **kwargs: Any) -> Response:
        return request(self.port, target, **kwargs)

    def join(self, timeout: float = 2.0) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "wait() did not return"

    def finish(self, timeout: float = 2.0) -> dict[str, str]:
        self.join(timeout)
        assert self.error is None, repr(self.error)
        assert self.result is not None
        return self.result

    def complete_with_valid_callback(self) -> dict[str, str]:
        response = self.get(callback())
        assert response.status == 200
        assert "You can close this tab and return to desktop-oauth" in response.text
        result = self.finish()
        assert result == {"code": CODE, "state": STATE}
        assert_refused(self.port)
        return result

    def assert_still_waiting(self) -> None:
        """wait() still serves, shown without sleeping: only wait() answers requests,
        and it closes the port as it returns, so a probe that gets its 404 proves it
        had not returned; the callback a request before it was meant to be refused
        is, in the tests, the valid one that follows (complete_with_valid_callback)."""
        assert self.get("/favicon.ico").status == 404
        assert self.thread.is_alive() and self.result is None and self.error is None


def start_flow(**kwargs: Any) -> Flow:
    wait_kwargs = kwargs.pop("wait_kwargs", {})
    options: dict[str, Any] = {"deadline_seconds": 10.0, "socket_timeout": 1.0, **kwargs}
    return Flow(LoopbackReceiver(**options), wait_kwargs)


@pytest.fixture
def flow() -> Iterator[Flow]:
    running = start_flow()
    yield running
    running.receiver.cancel()
    running.thread.join(2)
    running.receiver.close()


def non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if address and not address.startswith("127."):
        return address
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    others = [str(info[4][0]) for info in infos if not str(info[4][0]).startswith("127.")]
    return others[0] if others else None


# --- binding (docs/security.md (a)1-3, (b)11) ---


def test_binds_the_ipv4_loopback_literal_and_names_it_in_redirect_uri() -> None:
    with LoopbackReceiver() as receiver:
        assert receiver._server.socket.getsockname()[0] == "127.0.0.1"
        assert receiver.port > 0
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}/callback"
    with LoopbackReceiver(path="/cb") as receiver:
        assert receiver.redirect_uri.endswith(f":{receiver.port}/cb")


def test_is_not_reachable_through_the_lan_address() -> None:
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with LoopbackReceiver() as receiver, pytest.raises(OSError):
        socket.create_connection((address, receiver.port), timeout=1).close()


def test_two_receivers_get_different_ephemeral_ports() -> None:
    with LoopbackReceiver() as first, LoopbackReceiver() as second:
        assert first.port != second.port


def test_a_port_held_by_a_listener_raises_port_unavailable_naming_the_port() -> None:
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortUnavailableError, match=rf"Port {port} .*already in use"):
            LoopbackReceiver(port=port)


def test_an_ephemeral_port_is_bound_without_so_reuseaddr() -> None:
    # http.server's default sets SO_REUSEADDR; a port of the system's choosing never
    # needs it (docs/security.md (a)3).
    with LoopbackReceiver() as receiver:
        sock = receiver._server.socket
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 0


def test_a_bound_reuseaddr_socket_cannot_take_a_fixed_ports_connections() -> None:
    # The fixed port sets SO_REUSEADDR (POSIX), so a socket bound with it but not
    # listening can share the bind; it still cannot listen, so every connection
    # reaches the receiver, and the sign-in completes.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((HOST, 0))
        port = holder.getsockname()[1]
        try:
            running = start_flow(port=port)
        except PortUnavailableError:
            return  # refused outright: just as safe
        with pytest.raises(OSError):
            holder.listen()
        running.complete_with_valid_callback()


def test_a_fixed_port_works_twice_in_a_row_despite_our_own_time_wait() -> None:
    # The receiver closes its side first, so its end of the connection sits in
    # TIME_WAIT for a minute (RFC 9293 §3.6.1); a second sign-in seconds later
    # must still bind the registered port.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    for _ in range(2):
        running = start_flow(port=port)
        assert running.port == port
        running.complete_with_valid_callback()
    if sys.platform.startswith("linux"):
        # State 06 is TIME_WAIT: proof that the second bind really met one.
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        assert any(row[1] == f"0100007F:{port:04X}" and row[3] == "06" for row in rows)


def test_a_fixed_port_another_program_listens_on_still_fails_before_any_browser() -> None:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortUnavailableError, match=rf"Port {port} .*already in use"):
            LoopbackReceiver(port=port)


def test_a_port_held_on_the_ipv6_wildcard_raises_port_unavailable() -> None:
    try:
        holder = socket.socket(socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 on this machine")
    with holder:
        try:
            holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            holder.bind(("::", 0))
        except OSError:
            pytest.skip("cannot bind a dual-stack IPv6 socket here")
        holder.listen()
        with pytest.raises(PortUnavailableError):
            LoopbackReceiver(port=holder.getsockname()[1])


def test_a_fixed_free_port_is_used_as_given() -> None:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    with LoopbackReceiver(port=port) as receiver:
        assert receiver.port == port


# --- closing the port on every exit (docs/security.md (a)4, 5, 13, 30) ---


def test_success_returns_params_and_closes_the_port() -> None:
    running = start_flow()
    running.complete_with_valid_callback()


def test_http_client_sees_the_success_page() -> None:
    running = start_flow()
    conn = http.client.HTTPConnection(HOST, running.port, timeout=3)
    try:
        conn.request("GET", callback())
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200
    assert "You can close this tab and return to desktop-oauth" in body
    assert running.finish() == {"code": CODE, "state": STATE}


def test_timeout_fires_within_deadline_plus_one_second_and_closes_the_port() -> None:
    running = start_flow(deadline_seconds=0.2)
    running.join(timeout=3)
    assert isinstance(running.error, FlowTimeoutError)
    assert running.finished_at is not None
    assert 0.2 <= running.finished_at - running.started_at < 1.2
    assert_refused(running.port)


def test_deadline_uses_the_injected_clock() -> None:
    ticks = iter(range(0, 10_000, 100))
    running = start_flow(deadline_seconds=300.0, clock=lambda: float(next(ticks)))
    running.join(timeout=2)
    assert isinstance(running.error, FlowTimeoutError)


def test_cancel_from_another_thread_returns_within_a_second_and_closes_the_port() -> None:
    running = start_flow()
    running.assert_still_waiting()
    cancelled_at = time.monotonic()
    threading.Thread(target=running.receiver.cancel).start()
    running.join(timeout=2)
    assert isinstance(running.error, FlowCancelledError)
    assert running.finished_at is not None and running.finished_at - cancelled_at < 1.0
    assert_refused(running.port)


def test_close_from_another_thread_during_wait_returns_once_the_port_is_free() -> None:
    running = start_flow()
    running.assert_still_waiting()
    began = time.monotonic()
    running.receiver.close()
    assert time.monotonic() - began < 1.0
    assert_refused(running.port)
    running.join(timeout=2)
    assert isinstance(running.error, FlowCancelledError)


def test_cancel_before_wait_frees_the_port_and_wait_raises_cancelled() -> None:
    receiver = LoopbackReceiver()
    receiver.cancel()
    assert_refused(receiver.port)
    with pytest.raises(FlowCancelledError):
        receiver.wait(state=STATE)
    receiver.close()
    receiver.close()


def test_error_response_closes_the_port(flow: Flow) -> None:
    assert flow.get(callback(error="access_denied")).status == 200
    assert flow.finish()["error"] == "access_denied"
    assert_refused(flow.port)


def test_a_receiver_is_single_use(flow: Flow) -> None:
    flow.complete_with_valid_callback()
    with pytest.raises(ReceiverError, match="already used"):
        flow.receiver.wait(state=STATE)


def test_replayed_callback_after_success_is_refused(flow: Flow) -> None:
    flow.complete_with_valid_callback()
    with pytest.raises(ConnectionRefusedError):
        request(flow.port, callback())


def test_two_racing_valid_callbacks_exactly_one_is_accepted(flow: Flow) -> None:
    barrier = threading.Barrier(2)
    outcomes: dict[str, int | str] = {}

    def send(code: str) -> None:
        barrier.wait()
        try:
            outcomes[code] = flow.get(callback(code=code)).status
        except OSError as exc:
            outcomes[code] = type(exc).__name__

    senders = [threading.Thread(target=send, args=(c,)) for c in ("code-one", "code-two")]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(3)
    winners = [code for code, outcome in outcomes.items() if outcome == 200]
    assert len(winners) == 1, outcomes
    loser = next(code for code in outcomes if code != winners[0])
    # 400 "already finished", or refused/reset because the port closed first (0: a
    # connection still in the listen backlog is reset when the listener closes).
    assert outcomes[loser] in (400, 0, "ConnectionRefusedError", "ConnectionResetError")
    assert flow.finish()["code"] == winners[0]


# --- slow and noisy clients (docs/security.md (a)6, 7, (b)6, 7, 9) ---


def test_a_stalled_connection_does_not_delay_a_valid_callback() -> None:
    running = start_flow(socket_timeout=3.0)
    with socket.create_connection((HOST, running.port)) as stalled:
        stalled.sendall(b"GET /")
        # Connections are accepted in the order they arrive: once a later probe is
        # answered, the receiver has accepted the stalled one and is reading it.
        running.assert_still_waiting()
        began = time.monotonic()
        running.complete_with_valid_callback()
        assert time.monotonic() - began < 1.0


def test_fifty_idle_connections_plus_a_valid_callback_succeeds(flow: Flow) -> None:
    began = time.monotonic()
    idle = [socket.create_connection((HOST, flow.port), timeout=2) for _ in range(50)]
    try:
        flow.complete_with_valid_callback()
    finally:
        for sock in idle:
            sock.close()
    # A short listen backlog would make the kernel drop SYNs and retry after 1 s.
    assert time.monotonic() - began < 0.9


def test_a_stalled_client_is_hung_up_on_after_the_socket_timeout() -> None:
    running = start_flow(socket_timeout=0.3)
    with socket.create_connection((HOST, running.port), timeout=2) as stalled:
        stalled.sendall(b"GET /")
        began = time.monotonic()
        with contextlib.suppress(ConnectionResetError):
            assert stalled.recv(1024) == b""
        assert time.monotonic() - began < 1.0
    running.assert_still_waiting()
    running.complete_with_valid_callback()


def test_favicon_then_valid_callback_succeeds(flow: Flow) -> None:
    response = flow.get("/favicon.ico")
    assert response.status == 404
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


@pytest.mark.parametrize("target", ["/", "/callback/", "/callbackx", "/Callback", "/a/callback"])
def test_other_paths_get_404_even_with_valid_parameters(flow: Flow, target: str) -> None:
    query = callback().partition("?")[2]
    assert flow.get(f"{target}?{query}").status == 404
    flow.complete_with_valid_callback()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"])
def test_other_methods_get_405_and_the_flow_continues(flow: Flow, method: str) -> None:
    body = urlencode({"code": CODE, "state": STATE}).encode()
    response = flow.get(callback(), method=method, body=body)
    assert response.status == 405
    assert response.headers["allow"] == "GET"
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary junk", bytes(range(256)) * 4),
        ("junk line", b"\x00\xff\xfe\x16 junk\r\n\r\n"),
        (
            "TLS ClientHello",
            bytes.fromhex("16030100c4010000c00303")
            + bytes(32)
            + bytes.fromhex("000002130101000095000000170015000012")
            + b"127.0.0.1",
        ),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        ("blank line", b"\r\n"),
    ],
)
def test_junk_gets_4xx_or_a_drop_and_the_flow_continues(
    flow: Flow, capfd: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    response = send_raw(flow.port, data, half_close=True)
    assert response.status == 0 or 400 <= response.status < 500 or response.status == 505, name
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()
    assert "Traceback" not in capfd.readouterr().err


def test_oversized_requests_get_414_or_431_and_the_flow_continues(flow: Flow) -> None:
    assert flow.get(callback() + "&pad=" + "x" * 16 * 1024).status == 414
    assert flow.get("/callback?" + "x" * 70 * 1024).status == 414
    assert flow.get(callback(), headers=(("X-Big", "y" * 70 * 1024),)).status == 431
    many = tuple((f"X-H{i}", "v") for i in range(200))
    assert flow.get(callback(), headers=many).status == 431
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


# --- Host header (docs/security.md (a)8, (b)10) ---


@pytest.mark.parametrize(
    "host", ["evil.example", "localhost:{port}", "127.0.0.1", "127.0.0.1:1", "[::1]:{port}", None]
)
def test_wrong_or_missing_host_gets_421(flow: Flow, host: str | None) -> None:
    value = host.format(port=flow.port) if host is not None else None
    assert flow.get(callback(), host=value).status == 421
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


def test_two_host_headers_get_421(flow: Flow) -> None:
    response = flow.get(callback(), headers=(("Host", "evil.example"),))
    assert response.status == 421
    flow.complete_with_valid_callback()


def test_http_1_0_request_without_host_gets_421(flow: Flow) -> None:
    response = send_raw(flow.port, f"GET {callback()} HTTP/1.0\r\n\r\n".encode())
    assert response.status == 421
    flow.complete_with_valid_callback()


# --- parameters and state (docs/security.md (a)9-11, (b)1-4) ---


@pytest.mark.parametrize(
    "target",
    [
        f"/callback?code=a&code=b&state={STATE}",
        f"/callback?code={CODE}&state={STATE}&state={STATE}",
        f"/callback?state={STATE}&code={CODE}&state=other",
        "/callback",
        "/callback?",
        f"/callback?state={STATE}",
        f"/callback?code=&state={STATE}",
        f"/callback?code={CODE}&state=%FF%FE",
        f"/callback?code=%FF%FE&state={STATE}",
        f"/callback?code={CODE}&state={STATE}&x=%C3",
        b"/callback?code=\xff&state=" + STATE.encode(),
        f"/callback?code={CODE}&state={STATE}&" + "&".join(f"p{i}=1" for i in range(40)),
    ],
)
def test_malformed_callbacks_get_400_and_the_flow_continues(
    flow: Flow, target: str | bytes
) -> None:
    assert flow.get(target).status == 400
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


@pytest.mark.parametrize(
    "state",
    ["wrong", STATE[:-1], STATE + "x", STATE.upper(), STATE.lower(), " " + STATE, "é" + STATE],
)
def test_foreign_state_gets_400_and_then_the_right_one_succeeds(flow: Flow, state: str) -> None:
    response = flow.get(callback(state=state))
    assert response.status == 400
    assert "does not belong to the sign-in in progress" in response.text
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


def test_missing_state_gets_400(flow: Flow) -> None:
    response = flow.get(f"/callback?code={CODE}")
    assert response.status == 400
    assert "does not belong to the sign-in in progress" in response.text
    flow.complete_with_valid_callback()


def test_error_with_a_foreign_state_is_ignored(flow: Flow) -> None:
    response = flow.get("/callback?" + urlencode({"error": "access_denied", "state": "x"}))
    assert response.status == 400
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


def test_error_response_is_escaped_and_returned(flow: Flow) -> None:
    script = "<script>alert(1)</script>"
    target = "/callback?" + urlencode(
        {"error": "access_denied", "error_description": script, "state": STATE}
    )
    response = flow.get(target)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script" not in response.text
    assert "access_denied" in response.text
    assert flow.finish() == {"error": "access_denied", "error_description": script, "state": STATE}


def test_escapes_the_error_code_too(flow: Flow) -> None:
    response = flow.get(callback(error='"><img src=x onerror=alert(1)>'))
    assert "<img" not in response.text
    assert "&quot;&gt;&lt;img" in response.text
    flow.finish()


# --- iss (RFC 9207 §2.4, docs/security.md (a)19) ---

ISSUER = "https://issuer.example"


def test_matching_iss_succeeds() -> None:
    running = start_flow(wait_kwargs={"issuer": ISSUER, "require_iss": True})
    response = running.get(callback(iss=ISSUER))
    assert "You can close this tab and return to desktop-oauth" in response.text
    assert running.finish()["iss"] == ISSUER


@pytest.mark.parametrize(
    ("extra", "require_iss"),
    [({"iss": "https://evil.example"}, False), ({"iss": ISSUER + "/"}, False), ({}, True)],
)
def test_iss_mismatch_shows_a_failure_page_and_returns_params(
    extra: dict[str, str], require_iss: bool
) -> None:
    running = start_flow(wait_kwargs={"issuer": ISSUER, "require_iss": require_iss})
    response = running.get(callback(**extra))
    assert "different provider" in response.text
    assert "You can close this tab" in response.text
    assert "Signed in" not in response.text
    assert running.finish() == {"code": CODE, "state": STATE, **extra}
    assert_refused(running.port)


def test_missing_iss_is_fine_when_not_required() -> None:
    running = start_flow(wait_kwargs={"issuer": ISSUER})
    assert "Signed in" in running.get(callback()).text
    running.finish()


# --- response headers (docs/security.md (a)12) ---


def test_every_kind_of_response_carries_the_security_headers(flow: Flow) -> None:
    responses = {
        "404": flow.get("/favicon.ico"),
        "405": flow.get(callback(), method="POST"),
        "421": flow.get(callback(), host="evil.example"),
        "400": flow.get("/callback?code=a&code=b"),
        "400 foreign": flow.get(callback(state="nope")),
        "414": flow.get(callback() + "&pad=" + "x" * 9000),
        "431": flow.get(callback(), headers=(("X-Big", "y" * 70_000),)),
        "400 junk": send_raw(flow.port, b"\x16\x03\x01 junk junk junk\r\n\r\n"),
        "200": flow.get(callback()),
    }
    flow.finish()
    for kind, response in responses.items():
        assert str(response.status) == kind.split()[0], kind
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (kind, name)
        assert response.headers["content-length"] == str(len(response.body)), kind
        csp = response.headers["content-security-policy"]
        style = re.search(rb"<style>(.*?)</style>", response.body, re.S)
        assert style is not None, kind
        digest = base64.b64encode(hashlib.sha256(style.group(1)).digest()).decode()
        script = re.search(rb"<script>(.*?)</script>", response.body, re.S)
        assert (script is not None) == (kind == "200"), kind  # only the success page
        closing = base64.b64encode(hashlib.sha256(CLOSE_SCRIPT.encode()).digest()).decode()
        if script is not None:
            assert script.group(1) == CLOSE_SCRIPT.encode()
        assert csp == (
            f"default-src 'none'; style-src 'sha256-{digest}'; "
            f"script-src 'sha256-{closing}'; frame-ancestors 'none'"
        ), kind
        assert b"src=" not in response.body and b"href=" not in response.body, kind
        assert len(response.body) < 2048, kind


def test_head_gets_405_without_a_body(flow: Flow) -> None:
    response = flow.get(callback(), method="HEAD")
    assert response.status == 405
    assert response.body == b""
    flow.complete_with_valid_callback()


# --- secrets stay out of logs and stderr (docs/security.md (a)27) ---


def test_code_and_state_never_reach_logs_or_stderr(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    flow = start_flow(socket_timeout=0.3)
    flow.get(callback(state=STATE + "x"))
    flow.get(f"/callback?code={CODE}&code={CODE}&state={STATE}")
    flow.get(callback(), host="evil.example")
    flow.get(callback(), method="POST")
    flow.get(callback() + "&pad=" + "x" * 9000)
    flow.get(callback(), headers=(("X-Big", CODE * 3000),))
    send_raw(flow.port, f"{CODE} {STATE}\r\n\r\n".encode())
    send_raw(flow.port, f"GET /callback?code={CODE}&state={STATE} HTTP/9.9\r\n\r\n".encode())
    with socket.create_connection((HOST, flow.port)) as stalled:
        stalled.sendall(f"GET /callback?code={CODE}&state={STATE}".encode())
        flow.complete_with_valid_callback()
        # The receiver hangs up on the stalled connection after its 0.3 s socket
        # timeout, having logged what it logs: wait for that, not for a fixed time.
        stalled.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert stalled.recv(1024) == b""
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    out, err = capfd.readouterr()
    assert any(r.name == "desktop_oauth.core.loopback" for r in caplog.records)
    for secret in (CODE, STATE):
        assert secret not in logged
        assert secret not in out
    assert err == ""  # http.server would print request lines and timeouts here


def test_the_module_does_not_import_pyside6() -> None:
    code = (
        "import sys, desktop_oauth.core.loopback; "
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
