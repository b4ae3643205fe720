"""A local web page: drop a video, watch the progress, then the result (video and 3D viewer) and download the files.

    python -m app.web [--port 8000] [--output output/web]

Standard library only (``http.server``): one worker thread runs the pipeline on the uploaded videos one at a time,
the page polls ``/api/jobs/<id>`` for progress and shows ``<stem>.html`` (the viewer, with the side-by-side MP4
beside it) when the job is done. Served on 127.0.0.1 by default: it is a page for this computer, not a server for
the internet.
"""
from __future__ import annotations

import argparse
import json
import queue
import re
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from app.errors import InputError
from app.video_io import VIDEO_SUFFIXES

PAGE = Path(__file__).resolve().parent / "web.html"
MAX_UPLOAD_BYTES = 4 << 30
MAX_PEOPLE = 8
CONTENT_TYPES = {".mp4": "video/mp4", ".gif": "image/gif", ".html": "text/html; charset=utf-8",
                 ".json": "application/json", ".csv": "text/csv; charset=utf-8", ".npz": "application/octet-stream",
                 ".bvh": "text/plain; charset=utf-8", ".trc": "text/plain; charset=utf-8"}


@dataclass
class Job:
    """One uploaded video and how far its run is. state: queued, running, done or failed."""

    id: str
    name: str
    folder: Path
    max_people: int
    state: str = "queued"
    stage: str = "waiting"
    done: int = 0
    total: int | None = None
    error: str | None = None
    seconds: float | None = None
    files: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return Path(self.name).stem

    @property
    def input_path(self) -> Path:
        return self.folder / "input" / self.name

    @property
    def output_folder(self) -> Path:
        return self.folder / self.stem

    def report(self, bar: str, done: int, total: int | None) -> None:
        """The pipeline's progress bars ('2D  clip.mp4', '3D  clip.mp4') → the page's stage."""
        self.stage = "2D keypoints" if bar.startswith("2D") else "rendering the 3D video"
        self.done, self.total = done, total

    def status(self) -> dict:
        return {"id": self.id, "name": self.name, "state": self.state, "stage": self.stage, "done": self.done,
                "total": self.total, "error": self.error, "seconds": self.seconds, "stem": self.stem,
                "files": [{"name": name, "size": (self.output_folder / name).stat().st_size,
                           "url": f"/files/{self.id}/{quote(name)}"} for name in self.files]}


class JobRunner:
    """Runs jobs one at a time on a worker thread. ``run_video(job)`` processes ``job.input_path`` into
    ``job.output_folder`` and raises ``InputError``/``ValueError`` for bad input."""

    def __init__(self, root: Path, run_video: Callable[[Job], None]):
        self.root = Path(root)
        self._run_video = run_video
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="video3d-jobs", daemon=True)
        self._worker.start()

    def submit(self, name: str, max_people: int, write_input: Callable[[Path], None]) -> Job:
        job_id = uuid.uuid4().hex[:12]
        job = Job(job_id, name, self.root / job_id, max_people)
        job.input_path.parent.mkdir(parents=True)
        try:
            write_input(job.input_path)
        except BaseException:
            shutil.rmtree(job.folder, ignore_errors=True)
            raise
        self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=5)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            start = time.perf_counter()
            job.state, job.stage = "running", "loading the models"
            error_message = None
            try:
                self._run_video(job)
            except (InputError, ValueError) as error:
                error_message = str(error)
            except Exception as error:  # the page must hear of every failure, and the worker must go on
                error_message = f"unexpected failure ({type(error).__name__}: {error})"
            # The upload goes before the state changes: a client that sees the job finished sees it gone.
            shutil.rmtree(job.input_path.parent, ignore_errors=True)
            job.seconds = round(time.perf_counter() - start, 1)
            if error_message is not None:
                job.state, job.error = "failed", error_message
            else:
                job.files = sorted(path.name for path in job.output_folder.iterdir()
                                   if path.is_file() and not path.name.startswith("."))
                job.state, job.stage = "done", "done"


def pipeline_runner(device: str | None = None) -> Callable[[Job], None]:
    """``run_video`` for ``JobRunner``: the CLI's defaults (auto 2D stage and lifter, every export), a lifter
    loaded once per 2D stage."""
    lifters = {}

    def run_video(job: Job) -> None:
        from app.pipeline import Pipeline, RunOptions
        from detectors.api import choose_models
        from lifters.api import auto_lifter_spec, load_lifter

        spec = auto_lifter_spec(*choose_models("auto", "auto", job.max_people))
        if spec not in lifters:
            lifters[spec] = load_lifter(spec, device)
        options = RunOptions(output_dir=job.folder, max_people=job.max_people, device=device, progress=False,
                             on_progress=job.report)
        Pipeline(lifters[spec], options).run(job.input_path, job.stem)

    return run_video


def _safe_video_name(raw: str) -> str:
    """An uploaded file's name, reduced to a plain file name with a video suffix."""
    name = re.sub(r"[^\w.\- ]", "_", Path(unquote(raw)).name).strip(" .") or "video"
    if Path(name).suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"{name}: not a video file name ({', '.join(sorted(VIDEO_SUFFIXES))})")
    return name


def make_handler(runner: JobRunner) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "video3d"

        def log_message(self, format, *args):  # quiet: the page shows what happens
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = urlsplit(self.path).path
            if path == "/":
                return self._file(PAGE, "text/html; charset=utf-8")
            if match := re.fullmatch(r"/api/jobs/(\w+)", path):
                job = runner.get(match.group(1))
                return self._json(200, job.status()) if job else self._json(404, {"error": "no such job"})
            if match := re.fullmatch(r"/files/(\w+)/([^/]+)", path):
                job, name = runner.get(match.group(1)), unquote(match.group(2))
                if job is None or name not in job.files:  # only the job's own listed outputs
                    return self._json(404, {"error": "no such file"})
                return self._file(job.output_folder / name, CONTENT_TYPES.get(Path(name).suffix.lower(),
                                                                               "application/octet-stream"))
            self._json(404, {"error": "not found"})

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path != "/api/jobs":
                return self._json(404, {"error": "not found"})
            query = parse_qs(url.query)
            try:
                name = _safe_video_name(query.get("name", [""])[0])
                max_people = int(query.get("people", ["1"])[0])
                if not 1 <= max_people <= MAX_PEOPLE:
                    raise ValueError(f"people must be between 1 and {MAX_PEOPLE}")
                length = int(self.headers.get("Content-Length", "-1"))
                if not 0 < length <= MAX_UPLOAD_BYTES:
                    raise ValueError("the upload needs a size between 1 byte and 4 GiB")
            except ValueError as error:
                return self._json(400, {"error": str(error)})

            def write_input(path: Path) -> None:
                with open(path, "wb") as out:
                    remaining = length
                    while remaining:
                        chunk = self.rfile.read(min(remaining, 1 << 20))
                        if not chunk:
                            raise ConnectionError("the upload stopped early")
                        out.write(chunk)
                        remaining -= len(chunk)

            try:
                job = runner.submit(name, max_people, write_input)
            except ConnectionError as error:
                return self._json(400, {"error": str(error)})
            self._json(201, job.status())

        def _file(self, path: Path, content_type: str) -> None:
            """Send a file, or the byte range asked for (video players seek with ranges)."""
            size = path.stat().st_size
            start, end = 0, size - 1
            ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if ranged and (ranged.group(1) or ranged.group(2)):
                if ranged.group(1):
                    start = int(ranged.group(1))
                    end = min(int(ranged.group(2)), size - 1) if ranged.group(2) else size - 1
                else:
                    start = max(size - int(ranged.group(2)), 0)
                if start > end:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.end_headers()
                    return
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            with open(path, "rb") as source:
                source.seek(start)
                remaining = end - start + 1
                while remaining and (chunk := source.read(min(remaining, 1 << 20))):
                    self.wfile.write(chunk)
                    remaining -= len(chunk)

    return Handler


def serve(runner: JobRunner, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``runner`` bound to ``host:port`` (port 0: any free port), not yet serving."""
    server = ThreadingHTTPServer((host, port), make_handler(runner))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.web", description="A local web page for video3d.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=Path("output") / "web",
                        help="folder for the uploads' results (default: %(default)s)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    runner = JobRunner(args.output, pipeline_runner(args.device))
    try:
        server = serve(runner, args.host, args.port)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port} ({error.strerror})", file=sys.stderr)
        return 2
    print(f"video3d: open http://{args.host}:{server.server_port}/ in a browser (Ctrl+C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        runner.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
