"""The viewer and the web page in headless Chromium: the skeleton is drawn, it plays, it orbits, no console
errors; the web page takes an upload and shows the result."""
import base64
import shutil
import threading
import urllib.request

import pytest

from conftest import SAMPLE_CLIP, cut_clip
from browser import BrowserUnavailable, changed_fraction, chromium_page, skeleton_pixels
from app.export import ClipKeypoints


@pytest.fixture
def page():
    try:
        with chromium_page() as (page, problems):
            yield page, problems
    except BrowserUnavailable as reason:
        pytest.skip(str(reason))


def _frame(page) -> int:
    return int(page.get_attribute("#frame-label", "data-frame"))


def _view(page, frame_selector: str = "#view") -> bytes:
    """A screenshot of the 3D view below its legend (the legend's colour swatches are not the skeleton)."""
    view = page.locator(frame_selector)
    box = view.bounding_box()
    legend = page.locator("#legend").bounding_box()
    top = legend["y"] + legend["height"] + 2
    return page.screenshot(clip={"x": box["x"], "y": top, "width": box["width"], "height": box["y"] + box["height"] - top})


def test_viewer_draws_plays_and_orbits(page, exported_clip):
    page, problems = page
    clip = ClipKeypoints.load(exported_clip / "beep_keypoints.npz")
    first_detected = int(clip.valid[0].argmax())
    page.goto((exported_clip / "beep.html").as_uri())
    page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=30000)
    assert _frame(page) == first_detected  # it opens where the person is first seen
    page.wait_for_timeout(300)
    drawn = skeleton_pixels(_view(page))
    assert min(drawn.values()) > 100, drawn

    if not clip.valid[0, 0]:  # a frame without anyone: nothing in the skeleton's colours
        page.fill("#slider", "0")
        page.wait_for_timeout(300)
        assert skeleton_pixels(_view(page)) == {"left": 0, "right": 0, "person": 0}

    page.fill("#slider", "20")
    page.wait_for_timeout(300)
    assert _frame(page) == 20 and page.inner_text("#frame-label").startswith(f"frame 20 / {clip.num_frames - 1}")
    before = _view(page)
    box = page.locator("#view canvas").bounding_box()
    centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(centre_x, centre_y)
    page.mouse.down()
    page.mouse.move(centre_x + 220, centre_y - 40, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = _view(page)
    assert changed_fraction(before, after) > 0.05  # the ground grid and skeleton were seen from elsewhere
    assert min(skeleton_pixels(after).values()) > 100 and _frame(page) == 20

    page.click("#play")
    page.wait_for_timeout(800)
    page.click("#play")
    page.wait_for_timeout(400)
    stopped = _frame(page)
    assert stopped != 20  # it played (and may have looped)
    page.wait_for_timeout(400)
    assert _frame(page) == stopped  # and paused
    # The video's end (its duration) still shows the last frame.
    video_time = page.evaluate("document.getElementById('video').currentTime")
    video_frame = min(clip.num_frames - 1, int(video_time * clip.fps + 1e-3))
    assert video_frame == stopped  # the 3D shows the video's frame
    assert problems == []


def test_viewer_without_the_video_plays_on_its_own_clock(page, exported_clip, tmp_path):
    page, problems = page
    alone = tmp_path / "beep.html"
    shutil.copy(exported_clip / "beep.html", alone)
    page.goto(alone.as_uri())
    page.wait_for_function("document.getElementById('video-panel').style.display === 'none'", timeout=30000)
    start = _frame(page)
    page.click("#play")
    page.wait_for_timeout(600)
    assert _frame(page) != start
    # The missing video is the one expected error: the browser reports the file it could not load.
    assert all("ERR_FILE_NOT_FOUND" in problem for problem in problems), problems


def test_web_page_processes_an_uploaded_clip(page, tmp_path):
    from app.web import JobRunner, pipeline_runner, serve

    page, problems = page
    clip = cut_clip(SAMPLE_CLIP, tmp_path / "roof jump.avi", 24)
    runner = JobRunner(tmp_path / "jobs", pipeline_runner())
    server = serve(runner, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        page.goto(base + "/")
        (tmp_path / "notes.txt").write_text("not a video")
        page.set_input_files("#file", str(tmp_path / "notes.txt"))
        page.wait_for_function("document.getElementById('status').textContent.startsWith('error')")
        assert page.inner_text("#status") == "error: notes.txt: not a video file name (" + \
            page.inner_text("#status").split("(", 1)[1]

        # Dropped on the page, as a user would (the file picker was used above).
        page.evaluate("""([name, base64]) => {
            const bytes = Uint8Array.from(atob(base64), character => character.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "video/x-msvideo"}));
            document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: transfer}));
        }""", [clip.name, base64.b64encode(clip.read_bytes()).decode()])
        statuses = set()
        for _ in range(600):
            status = page.inner_text("#status")
            statuses.add(status.split(":")[1].split(" ")[1] if ":" in status else status)
            if "done in" in status or status.startswith("error"):
                break
            page.wait_for_timeout(400)
        assert "done in" in status, status
        assert {"2D", "rendering"} & statuses, statuses  # progress was shown on the way
        names = [link.inner_text() for link in page.locator("#downloads a").all()]
        assert names == ["roof jump.csv", "roof jump.html", "roof jump.json", "roof jump.mp4",
                         "roof jump_keypoints.npz", "roof jump_person0.bvh", "roof jump_person0.trc"]
        viewer = page.frame_locator("#viewer")
        viewer.locator("#frame-label").wait_for()
        page.wait_for_function("document.getElementById('viewer').contentDocument.getElementById('video')?"
                               ".readyState >= 2", timeout=30000)
        assert viewer.locator("#frame-label").inner_text().startswith("frame ")
        assert min(skeleton_pixels(page.locator("#viewer").screenshot()).values()) > 100

        job_folder = next((tmp_path / "jobs").iterdir())
        url = page.locator("#downloads a", has_text="roof jump_person0.bvh").get_attribute("href")
        with urllib.request.urlopen(base + url) as response:
            assert response.read() == (job_folder / "roof jump" / "roof jump_person0.bvh").read_bytes()
        request = urllib.request.Request(base + url.replace("_person0.bvh", ".mp4"), headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(request) as response:  # video players seek with byte ranges
            assert response.status == 206
            assert response.read() == (job_folder / "roof jump" / "roof jump.mp4").read_bytes()[10:20]
        assert not (job_folder / "input").exists()  # the uploaded copy is removed after the run
        # The one error: the browser's note of the refused upload of notes.txt.
        assert problems == ["console error: Failed to load resource: the server responded with a status of 400 "
                            "(Bad Request)"]
    finally:
        server.shutdown()
        server.server_close()
        runner.close()
