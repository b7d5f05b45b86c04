"""HTTP plumbing: a threaded, keep-alive HTTP/1.1 server that hands requests to the gateway."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from intercom_assets.emulator.errors import error_body
from intercom_assets.emulator.gateway import JSON, Gateway, Response

logger = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # bursts of concurrent clients must not see refused connections
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    timeout = 60  # idle keep-alive connections eventually release their thread
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: one line per request would drown test and demo output."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            response = self.server.gateway.respond(
                self.command, split.path, query, headers, body, f"http://{host}"
            )
        except Exception:
            logger.exception("emulator failed on %s %s", self.command, self.path)
            payload = error_body("server_error", "The emulator hit an unexpected error.")
            response = Response(500, json.dumps(payload).encode(), JSON)
        if response is None:
            self.close_connection = True  # injected drop: close without a single byte
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


class HttpServer:
    """Owns the listening socket and the background thread that serves it."""

    def __init__(self, gateway: Gateway, host: str, port: int) -> None:
        self._server = _Server((host, port), gateway)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="intercom-emulator",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
