"""The web page's server without a browser: uploads, a failed job's message, files with byte ranges, progress."""
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from app.pipeline import RunOptions, _progress_bar
from app.web import JobRunner, pipeline_runner, serve


@pytest.fixture
def server(tmp_path):
    runner = JobRunner(tmp_path / "jobs", pipeline_runner())
    server = serve(runner, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", runner
    server.shutdown()
    server.server_close()
    runner.close()


def _request(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _wait(base, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = json.loads(_request(f"{base}/api/jobs/{job_id}")[1])
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {status['state']}")


def test_page_and_refused_uploads(server):
    base, _ = server
    status, body, headers = _request(base + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b'id="drop"' in body
    status, body, _ = _request(base + "/api/jobs?name=notes.txt", b"hello")
    assert status == 400 and json.loads(body)["error"].startswith("notes.txt: not a video file name")
    status, body, _ = _request(base + "/api/jobs?name=clip.mp4&people=9", b"hello")
    assert status == 400 and json.loads(body)["error"] == "people must be between 1 and 8"
    assert _request(base + "/api/jobs/nosuchjob")[0] == 404
    assert _request(base + "/files/nosuchjob/clip.mp4")[0] == 404


def test_a_broken_video_fails_with_its_message_and_no_files(server):
    base, runner = server
    status, body, _ = _request(base + "/api/jobs?name=..%2F..%2Fbroken.mp4", b"\x00" * 1000)
    assert status == 201
    job = json.loads(body)
    assert job["name"] == "broken.mp4"  # the path was dropped from the name
    result = _wait(base, job["id"])
    assert result["state"] == "failed" and result["files"] == []
    assert result["error"].endswith("broken.mp4: cannot be opened as a video")
    assert not (runner.root / job["id"] / "input").exists()


def test_files_are_served_whole_and_by_byte_range(server):
    base, runner = server
    job = runner.submit("clip.mp4", 1, lambda path: path.write_bytes(b"not a video"))
    _wait(base, job.id)  # it fails; then stands in for a finished job
    job.output_folder.mkdir(parents=True)
    (job.output_folder / "clip.mp4").write_bytes(bytes(range(100)))
    job.files = ["clip.mp4"]  # as the worker lists them when a job is done
    url = f"{base}/files/{job.id}/clip.mp4"
    status, body, headers = _request(url)
    assert status == 200 and body == bytes(range(100)) and headers["Accept-Ranges"] == "bytes"
    status, body, headers = _request(url, headers={"Range": "bytes=90-"})
    assert status == 206 and body == bytes(range(90, 100)) and headers["Content-Range"] == "bytes 90-99/100"
    status, body, _ = _request(url, headers={"Range": "bytes=-5"})
    assert status == 206 and body == bytes(range(95, 100))
    assert _request(url, headers={"Range": "bytes=200-"})[0] == 416
    assert _request(f"{base}/files/{job.id}/..%2Fclip.mp4")[0] == 404  # only the job's listed files


def test_progress_callback_sees_every_frame():
    calls = []
    options = RunOptions(output_dir=None, on_progress=lambda *call: calls.append(call))
    assert list(_progress_bar(options, range(7), 7, "3D  clip.mp4")) == list(range(7))
    assert calls[0] == ("3D  clip.mp4", 0, 7) and calls[-1] == ("3D  clip.mp4", 7, 7)
    bar = _progress_bar(options, None, 40, "2D  clip.mp4")
    bar.update(16)
    bar.close()
    assert calls[-1] == ("2D  clip.mp4", 16, 40)
