"""A real forwarding HTTP proxy for tests: ``python -m tests.recording_proxy LOG``.

It listens on 127.0.0.1 (port printed on its first stdout line), appends every
request that passes through it (request line, headers, body) to LOG, forwards it
to the origin and relays the answer, as a corporate proxy from HTTP_PROXY would.
"""

from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_write_lock = threading.Lock()


class _Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    log_path: Path

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with _write_lock, self.log_path.open("ab") as log:
            log.write(self.requestline.encode() + b"\n" + bytes(self.headers) + body + b"\n")
        target = urlsplit(self.path)
        origin = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        headers["Connection"] = "close"
        path = target.path + (f"?{target.query}" if target.query else "")
        origin.request(self.command, path or "/", body=body or None, headers=headers)
        answer = origin.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    _Proxy.log_path = Path(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
