"""The live preview over HTTP, for any browser: an MJPEG stream (``multipart/x-mixed-replace``, which browsers show
as a moving image) on localhost.

    http://127.0.0.1:PORT/             a page showing the stream
    http://127.0.0.1:PORT/stream.mjpg  the stream: each new composite as a JPEG part
    http://127.0.0.1:PORT/frame.jpg    the latest composite as one JPEG

The processing loop ``publish``es each composite; every client gets the newest one when it is ready for it (a slow
client skips composites, it never holds up the loop). The server runs in its own threads.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = "video3dframe"
JPEG_QUALITY = 80
_PAGE = (b"<!doctype html><title>video3d live</title><body style='margin:0;background:#222'>"
         b"<img src='/stream.mjpg' style='max-width:100%;display:block;margin:auto'></body>")


def encode_jpeg(composite_rgb: np.ndarray) -> bytes:
    """RGB uint8 (H, W, 3) → JPEG bytes."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(composite_rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("the composite could not be encoded as JPEG")
    return data.tobytes()


class MjpegPreview:
    """``MjpegPreview(port)`` serves on 127.0.0.1 (port 0: any free port; ``port`` says which) until ``close()``.
    An ``OSError`` at construction when the port is taken."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self._condition = threading.Condition()
        self._jpeg: bytes | None = None
        self._sequence = 0
        self._closed = False
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="mjpeg preview", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def closed(self) -> bool:
        return self._closed

    def publish(self, jpeg: bytes) -> None:
        with self._condition:
            self._jpeg, self._sequence = jpeg, self._sequence + 1
            self._condition.notify_all()

    def next_jpeg(self, after: int, timeout: float) -> tuple[int, bytes | None]:
        """The newest JPEG once it is newer than sequence number ``after`` → (its sequence number, bytes); None
        when nothing newer came within ``timeout`` s or the preview closed."""
        with self._condition:
            self._condition.wait_for(lambda: self._sequence > after or self._closed, timeout)
            if self._closed or self._sequence <= after:
                return after, None
            return self._sequence, self._jpeg

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(preview: MjpegPreview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # no access log on the terminal
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            if path in ("/", "/index.html"):
                self._send(200, "text/html; charset=utf-8", _PAGE)
            elif path == "/frame.jpg":
                _, jpeg = preview.next_jpeg(0, timeout=5.0)
                if jpeg is None:
                    self._send(503, "text/plain", b"no frame yet\n")
                else:
                    self._send(200, "image/jpeg", jpeg)
            elif path == "/stream.mjpg":
                self._stream()
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, status: int, content_type: str, body: bytes):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _stream(self):
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sequence = 0
            try:
                while True:
                    sequence, jpeg = preview.next_jpeg(sequence, timeout=1.0)
                    if jpeg is None:
                        if preview.closed:
                            return
                        continue
                    self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                                     "\r\n\r\n".encode() + jpeg + b"\r\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):  # the browser went away
                return

    return Handler
