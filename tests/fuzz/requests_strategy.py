"""Hypothesis strategies for raw HTTP/1.x requests: request lines, headers and bodies,
well-formed, nearly well-formed and plain junk, sent as bytes over a real socket."""

from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass

from hypothesis import strategies as st

METHODS = [b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"CONNECT", b"get", b"G\x00T", b""]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.0", b"HTTP/0.9", b"HTTP/2.0", b"HTTP/1.1.1", b"HTTP/9", b""]
PARAMS = ["code", "state", "iss", "error", "error_description", "scope", "session_state"]

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_raw = st.binary(max_size=64)
_param_value = st.one_of(
    _text.map(lambda t: t.encode("utf-8")),
    _raw,
    st.sampled_from([b"", b"%FF%FE", b"%", b"%0d%0a", b"<script>", b"a" * 300]),
)


@st.composite
def _query(draw: st.DrawFn) -> bytes:
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(PARAMS).map(str.encode) | _raw, _param_value),
            max_size=6,
        )
    )
    sep = draw(st.sampled_from([b"&", b";", b"&&", b"="]))
    return sep.join(name + b"=" + value for name, value in pairs)


@st.composite
def targets(draw: st.DrawFn, paths: list[bytes]) -> bytes:
    path = draw(
        st.one_of(
            st.sampled_from(paths),
            st.sampled_from([b"//callback", b"///callback", b"/./callback", b"*", b"", b"/%2e"]),
            _raw.map(lambda raw: b"/" + raw),
            st.sampled_from([b"http://127.0.0.1/callback", b"http://evil.example/"]),
        )
    )
    if draw(st.booleans()):
        path += b"?" + draw(_query())
    if draw(st.integers(0, 30)) == 0:
        path += b"x" * draw(st.sampled_from([9000, 17000, 70000]))
    return path


@st.composite
def headers(draw: st.DrawFn, host: bytes) -> list[bytes]:
    lines: list[bytes] = []
    host_choice = draw(st.integers(0, 5))
    if host_choice <= 2:
        lines.append(b"Host: " + host)
    elif host_choice == 3:
        lines += [b"Host: " + host, b"Host: evil.example"]
    elif host_choice == 4:
        lines.append(b"Host: " + draw(_raw))
    names = st.sampled_from(
        [b"Content-Length", b"Transfer-Encoding", b"Cookie", b"Content-Type", b"X-A", b"Host"]
    )
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(names, _raw))
        value = draw(
            st.one_of(
                _raw,
                st.sampled_from([b"-1", b"99999999999", b"chunked", b"0", b"10", b"y" * 70000]),
            )
        )
        lines.append(name + b": " + value)
    if draw(st.integers(0, 40)) == 0:
        lines += [b"X-Many: 1"] * 200
    return lines


@dataclass(frozen=True)
class RawRequest:
    data: bytes

    def __repr__(self) -> str:
        return f"RawRequest({self.data[:200]!r}{'...' if len(self.data) > 200 else ''})"


@st.composite
def raw_requests(draw: st.DrawFn, paths: list[bytes], host: bytes) -> RawRequest:
    if draw(st.integers(0, 10)) == 0:  # plain junk: TLS hellos, binary, nothing
        return RawRequest(draw(st.binary(max_size=300)))
    method = draw(st.one_of(st.sampled_from(METHODS), _raw))
    line = method + b" " + draw(targets(paths))
    version = draw(st.sampled_from(VERSIONS))
    if version:
        line += b" " + version
    if draw(st.integers(0, 8)) == 0:
        line += b" " + draw(_raw)  # a fourth word
    eol = draw(st.sampled_from([b"\r\n", b"\n", b"\r\n", b"\r"]))
    head = eol.join([line, *draw(headers(host))]) + eol + eol
    body = draw(st.one_of(st.just(b""), st.binary(max_size=200)))
    return RawRequest(head + body)


@dataclass
class Exchange:
    status: int  # 0: dropped without an answer
    seconds: float
    raw: bytes


def exchange(port: int, data: bytes, *, timeout: float = 5.0) -> Exchange:
    """Send ``data``, half-close, read until the server closes."""
    started = time.monotonic()
    chunks: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server dropped the connection: an answer too
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:  # reset before our half-close
                raise
    raw = b"".join(chunks)
    status = 0
    if raw.startswith(b"HTTP/1."):
        status = int(raw.split(b" ", 2)[1])
    else:
        assert raw == b"", f"an answer that is not HTTP: {raw[:80]!r}"
    return Exchange(status, time.monotonic() - started, raw)
