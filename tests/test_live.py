"""The live mode (issue 15): causal filters, online flip correction, mailboxes, the preview server, recording, the
session loop on a clip played in real time, and the CLI (options, a clean stop that keeps the recording)."""
from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from app.export import ClipKeypoints
from app.live.engine import ProcessedFrame
from app.live.preview import BOUNDARY, MjpegPreview, encode_jpeg
from app.live.recording import LiveRecording
from app.live.sources import CapturedFrame, Latest, RealtimeFileSource
from app.video_io import VideoReader
from detectors.base import COCO_FLIP_ORDER
from detectors.flip_correction import OnlineFlipCorrector
from lifters.one_euro import OneEuroFilter, smoothing_factor
from lifters.runner import SequenceLifter
from lifters.world.camera import Intrinsics
from lifters.world.live import LiveWorld, PlacedPeople
from lifters.world.root_fit import nanmedian_rows
from tests.conftest import REPO, SAMPLE_CLIP, cut_clip
from tests.world_fixtures import STANDING, SyntheticCamera, observe, stander

CLIP_FRAMES = 30


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    return cut_clip(SAMPLE_CLIP, tmp_path_factory.mktemp("live") / "short.avi", CLIP_FRAMES)


# --- causal processing ---------------------------------------------------------------------------------------------

def test_one_euro_filter_hand_computed_steps():
    alpha = 1 / (1 + (1 / (2 * np.pi)) / 0.1)  # 1 Hz after 0.1 s: 0.38587
    assert smoothing_factor(1.0, 0.1) == pytest.approx(alpha)
    still = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    assert still(np.array([0.0]), 0.0) == pytest.approx([0.0])  # the first value passes unchanged
    assert still(np.array([1.0]), 0.1) == pytest.approx([alpha])
    fast = OneEuroFilter(min_cutoff=1.0, beta=1.0, speed_cutoff=1.0)
    fast(np.array([0.0]), 0.0)
    speed = alpha * 10.0  # the speed estimate: 10 units/s low-passed at 1 Hz
    cutoff = 1.0 + 1.0 * speed
    assert fast(np.array([1.0]), 0.1) == pytest.approx([1 / (1 + (1 / (2 * np.pi * cutoff)) / 0.1)])
    constant = OneEuroFilter()
    assert all(constant(np.full((17, 3), 0.5), t / 30) == pytest.approx(np.full((17, 3), 0.5)) for t in range(10))
    with pytest.raises(ValueError, match="increasing times"):
        constant(np.zeros((17, 3)), 0.0)


def _walking_skeleton(frame: int) -> np.ndarray:
    """(17, 2) px COCO-17: left joints at x + 40, right at x − 40, moving right 2 px a frame."""
    keypoints = np.zeros((17, 2))
    keypoints[:, 1] = np.linspace(100, 500, 17)
    left, right = [1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]
    keypoints[left, 0], keypoints[right, 0] = 40, -40
    keypoints[[5, 6], 1] = keypoints[[11, 12], 1] - 200  # shoulders 200 px above the hips
    return keypoints + [300 + 2 * frame, 0]


def test_online_flip_correction_undoes_a_legs_swap_from_its_first_frame():
    legs = list(range(11))
    legs += [COCO_FLIP_ORDER[joint] for joint in range(11, 17)]  # legs swapped, arms as they are
    corrector = OnlineFlipCorrector(look_back=10)
    swapped = range(20, 35)
    for frame in range(50):
        truth = _walking_skeleton(frame)
        world = np.tile(np.arange(17.0)[:, None], (1, 3))
        detected = truth[legs] if frame in swapped else truth
        detected_world = world[legs] if frame in swapped else world
        detected_scores = np.arange(17.0)[legs] if frame in swapped else np.arange(17.0)
        keypoints, scores, relabelled_world = corrector(detected, detected_scores, detected_world)
        np.testing.assert_allclose(keypoints, truth)
        np.testing.assert_allclose(scores, np.arange(17.0))
        if frame in swapped:  # relabelled back, the swapped groups mirrored in depth
            np.testing.assert_allclose(relabelled_world[:11], world[:11])
            np.testing.assert_allclose(relabelled_world[11:, :2], world[11:, :2])
            np.testing.assert_allclose(relabelled_world[11:, 2], -world[11:, 2])
    assert corrector.corrected_frames == len(swapped)
    assert len(corrector._corrected) == 10  # the look-back is bounded


def test_sequence_lifter_present_pose_pads_the_past_only():
    class MeanOverTime(torch.nn.Module):
        def forward(self, batch):  # (B, T, 17, 2) → (B, T, 17, 3): every frame gets the window's mean, z = 1
            mean = batch.mean(dim=1, keepdim=True).expand_as(batch)
            return torch.cat([mean, torch.ones_like(batch[..., :1])], dim=-1)

    runner = SequenceLifter(MeanOverTime(), window_size=5, flip=False)
    a, b = np.full((17, 2), 1.0), np.full((17, 2), 6.0)
    a[1], b[1] = 2.0, 7.0  # joint 1 is 1 unit from the root in x and y
    pose = runner.present_pose(np.stack([a, b]))  # window [a, a, a, a, b]
    assert pose.shape == (17, 3)
    np.testing.assert_allclose(pose[1], [1.0, 1.0, 0.0])  # root-relative: the same offset
    np.testing.assert_allclose(runner.present_pose(a[None])[1], [1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="1 to 5 frames"):
        runner.present_pose(np.zeros((6, 17, 2)))


def test_causal_lifter_takes_seq2seq_and_refuses_centre_frame_lifters():
    from lifters.api import NetworkLifter
    from lifters.causal import CausalLifter, PastWindow
    from lifters.runner import CentreFrameLifter

    seq2seq = NetworkLifter(SequenceLifter(torch.nn.Identity(), 3, flip=False), "MixSTE (test)", "mixste-test")
    assert isinstance(CausalLifter(seq2seq).new_person(), PastWindow)
    centre = NetworkLifter(CentreFrameLifter(torch.nn.Identity(), 3, flip=False), "Strided (test)", "strided")
    with pytest.raises(ValueError, match="cannot run live"):
        CausalLifter(centre)


def test_nanmedian_rows_is_numpys_nanmedian():
    values = np.random.default_rng(3).normal(size=(6, 9, 2))
    values[np.random.default_rng(4).random(values.shape) < 0.4] = np.nan
    values[0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(nanmedian_rows(values), np.nanmedian(values, axis=1), equal_nan=True)


def test_live_world_finds_root_up_and_floor_of_a_person_standing_still():
    camera = SyntheticCamera()
    poses, keypoints_2d, scores, _, roots = observe(camera, stander(20, (0.3, 4.0))[None])
    world = LiveWorld(camera.intrinsics, fps=30.0)
    for frame in range(20):
        placed = world(poses[:, frame], keypoints_2d[:, frame], scores[:, frame], np.array([7]), frame / 30)
    np.testing.assert_allclose(placed.roots_camera[0], roots[0, -1], atol=1e-3)
    assert np.degrees(np.arccos(np.clip(world.up @ camera.up, -1, 1))) < 1.0
    assert placed.camera_height == pytest.approx(1.6, abs=0.02)  # the soles on the floor
    assert placed.keypoints_world[0, :, 2].min() == pytest.approx(0.07, abs=0.02)  # the ankles 7 cm above it


class _ScriptedPeople:
    """A 2D stage that returns the given people (track id → COCO-17 keypoints) frame after frame."""

    def __init__(self, script: list[dict[int, np.ndarray]]):
        self.script, self.frame = script, 0

    def __call__(self, frames):
        from detectors.base import FramePoses

        people = self.script[self.frame]
        self.frame += 1
        ids = sorted(people)
        keypoints = np.array([people[track_id] for track_id in ids], np.float32).reshape(-1, 17, 2)
        world = np.tile((keypoints - 300) / 400, (1, 1, 2))[..., :3].astype(np.float32)  # any finite 3D
        return [FramePoses(np.zeros((len(ids), 4), np.float32), np.ones(len(ids), np.float32), keypoints,
                           np.ones((len(ids), 17), np.float32), world, np.array(ids, np.int64))]

    def close(self):
        pass


def test_engine_shapes_and_forgets_people_gone_for_good():
    from app.live.engine import FORGET_SECONDS, LiveEngine
    from lifters.blazepose3d import BlazePose3DLifter
    from lifters.causal import CausalLifter

    fps = 30.0
    gone_after = 10
    script = [{3: _walking_skeleton(frame), **({8: _walking_skeleton(frame) + [200, 0]} if frame < gone_after else {})}
              for frame in range(gone_after + round(FORGET_SECONDS * fps) + 2)]
    engine = LiveEngine(_ScriptedPeople(script), CausalLifter(BlazePose3DLifter()),
                        Intrinsics(1000.0, (640.0, 360.0), "prior"), fps)
    image = np.zeros((720, 1280, 3), np.uint8)
    for index in range(len(script)):
        processed = engine(CapturedFrame(index, index / fps, 0.0, image))
        if index == 0:
            assert list(processed.track_ids) == [3, 8]
            assert processed.keypoints_2d.shape == (2, 17, 2) and processed.scores_2d.shape == (2, 17)
            assert processed.keypoints_3d.shape == processed.placed.keypoints_world.shape == (2, 17, 3)
            np.testing.assert_allclose(processed.keypoints_3d[:, 0], 0.0)  # root-relative
    assert list(processed.track_ids) == [3]
    assert set(engine._lifters) == set(engine._flips) == set(engine.world._root_filters) == {3}


# --- mailboxes, the preview ----------------------------------------------------------------------------------------

def test_latest_keeps_the_newest_and_counts_what_it_replaced():
    box = Latest()
    for item in ("a", "b", "c"):
        box.put(item)
    assert box.take(timeout=0) == "c" and (box.delivered, box.dropped) == (3, 2)
    assert box.take(timeout=0.01) is None and not box.ended
    box.put("d")
    box.close()
    assert not box.ended and box.take(timeout=0) == "d" and box.ended


def test_live_stats_status_and_summary():
    from app.live.session import LiveStats

    stats = LiveStats(indices=[0, 2, 3], captured_at=[0.0, 0.1, 0.2], ready_at=[0.05, 0.2, 0.25], captured=4)
    assert (stats.processed, stats.dropped) == (3, 1)
    np.testing.assert_allclose(stats.latencies(), [0.05, 0.1, 0.05])
    assert stats.processed_rate() == pytest.approx(2 / 0.2)
    assert stats.status() == "live 10.0 fps | dropped 1 of 4 | latency 50 ms"
    assert stats.summary() == ("4 frames captured, 3 processed (10.0 fps), 1 dropped | latency median 50 ms, "
                               "95th percentile 95 ms")


def _get(port: int, path: str, timeout: float = 10.0) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path)
    return connection.getresponse()


def _mjpeg_parts(response: http.client.HTTPResponse, count: int) -> list[bytes]:
    """The first ``count`` JPEG parts of a multipart/x-mixed-replace response."""
    parts = []
    while len(parts) < count:
        assert response.readline() == f"--{BOUNDARY}\r\n".encode()
        headers = {}
        while (line := response.readline()) != b"\r\n":
            name, value = line.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        assert headers["content-type"] == "image/jpeg"
        parts.append(response.read(int(headers["content-length"])))
        assert response.readline() == b"\r\n"
    return parts


def test_preview_serves_a_page_the_latest_jpeg_and_a_stream():
    preview = MjpegPreview(0)
    try:
        red = np.zeros((48, 64, 3), np.uint8)
        red[..., 0] = 255
        preview.publish(encode_jpeg(red))
        page = _get(preview.port, "/")
        assert page.status == 200 and b"/stream.mjpg" in page.read()
        frame = _get(preview.port, "/frame.jpg")
        assert frame.status == 200 and frame.getheader("Content-Type") == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(frame.read(), np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (48, 64, 3) and image[..., 2].mean() > 240 and image[..., 0].mean() < 15  # BGR: red
        stream = _get(preview.port, "/stream.mjpg")
        assert stream.getheader("Content-Type") == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
        threading.Timer(0.3, lambda: preview.publish(encode_jpeg(np.zeros((48, 64, 3), np.uint8)))).start()
        first, second = _mjpeg_parts(stream, 2)  # the latest, then the next one published
        assert first[:2] == second[:2] == b"\xff\xd8"
        assert cv2.imdecode(np.frombuffer(second, np.uint8), cv2.IMREAD_COLOR).max() < 15
        assert _get(preview.port, "/nothing").status == 404
    finally:
        preview.close()


def test_stream_source_reads_an_http_mjpeg_stream():
    from app.live.sources import CameraSource

    preview, done = MjpegPreview(0), threading.Event()

    def camera():  # a network camera serving MJPEG: a grey level that rises by 10 a frame
        level = 0
        while not done.is_set():
            preview.publish(encode_jpeg(np.full((48, 64, 3), level % 250, np.uint8)))
            level += 10
            time.sleep(0.03)

    threading.Thread(target=camera, daemon=True).start()
    source = CameraSource(f"http://127.0.0.1:{preview.port}/stream.mjpg")
    try:
        assert source.frame_size == (64, 48)
        source.start()
        frames = []
        while len(frames) < 8 and (frame := source.frames.take(5.0)) is not None:
            frames.append(frame)
    finally:
        source.stop()
        done.set()
        preview.close()
    assert len(frames) == 8 and all(frame.image.shape == (48, 64, 3) for frame in frames)
    assert np.all(np.diff([frame.index for frame in frames]) >= 1)
    assert np.all(np.diff([frame.captured_at for frame in frames]) > 0)
    assert np.all(np.diff([frame.media_time for frame in frames]) > 0)
    levels = [float(frame.image.mean()) for frame in frames]
    assert np.all(np.diff(levels) > 0)  # newer frames, in order


def test_stream_source_on_a_file_drops_what_a_slow_reader_misses(short_clip):
    from app.live.sources import CameraSource

    source = CameraSource(str(short_clip)).start()
    taken = []
    while (frame := source.frames.take(5.0)) is not None:
        taken.append(frame.index)
        time.sleep(0.02)  # slower than the decoder
    source.stop()
    assert source.frames.ended and source.frames.delivered == CLIP_FRAMES
    assert len(taken) + source.frames.dropped == CLIP_FRAMES and taken == sorted(set(taken))


# --- recording -----------------------------------------------------------------------------------------------------

def _processed(index: int, track_ids: list[int], size=(64, 48)) -> ProcessedFrame:
    count = len(track_ids)
    people = np.arange(count, dtype=np.float32)[:, None, None] + index
    placed = PlacedPeople(np.zeros((count, 3)) + people[:, 0], np.zeros((count, 17, 3)) + people,
                          np.zeros((count, 17, 3)) + people, np.eye(3), 1.5)
    image = np.zeros((size[1], size[0], 3), np.uint8)
    return ProcessedFrame(CapturedFrame(index, index / 30, 0.0, image), np.array(track_ids, np.int64),
                          np.zeros((count, 17, 2), np.float32) + people, np.ones((count, 17), np.float32),
                          np.zeros((count, 17, 3), np.float32) + people, placed)


def test_recording_keeps_the_time_base_across_dropped_frames(tmp_path):
    camera = Intrinsics(100.0, (32.0, 24.0), "prior")
    folder = tmp_path / "live_test"
    with LiveRecording(folder, 30.0, (64, 48), camera, "blazepose3d") as recording:
        for index, ids in ((3, [5]), (4, [5, 9]), (6, [9]), (7, [5])):  # frames 0-2 before the start, 5 dropped
            recording.add(_processed(index, ids), np.full((48, 64, 3), index * 20, np.uint8))
    clip = ClipKeypoints.load(folder / "live_test_keypoints.npz")
    assert clip.num_frames == 5 and list(clip.track_ids) == [5, 9]
    np.testing.assert_array_equal(clip.valid, [[1, 1, 0, 0, 1], [0, 1, 0, 1, 0]])
    assert clip.keypoints_2d[0, 1, 0, 0] == 4 and clip.keypoints_2d[1, 1, 0, 0] == 5  # person #9 second in frame 4
    np.testing.assert_array_equal(clip.keypoints_3d[:, 2], clip.keypoints_3d[:, 1])  # dropped: the 3D held
    assert clip.keypoints_2d[:, 2].max() == 0
    assert clip.keypoints_3d_world[1, 3, 0, 0] == 6 and clip.image_size == (64, 48)
    frames = [frame for frame in VideoReader(folder / "live_test.mp4")]
    means = [round(float(frame.mean()) / 20) for frame in frames]
    assert means == [3, 4, 4, 6, 7]  # the dropped frame repeats the one before


def test_a_failed_recording_leaves_the_folder_as_it_was(tmp_path):
    folder = tmp_path / "live_test"
    with pytest.raises(RuntimeError):
        with LiveRecording(folder, 30.0, (64, 48), Intrinsics(100.0, (32.0, 24.0), "prior"), "x") as recording:
            recording.add(_processed(0, [1]), np.zeros((48, 64, 3), np.uint8))
            raise RuntimeError("the session failed")
    assert not folder.exists() and not list(tmp_path.iterdir())


# --- the live path on a clip played in real time -------------------------------------------------------------------

@pytest.fixture(scope="module")
def live_engine_factory():
    from app.live.engine import LiveEngine
    from app.live.run import build_live_estimator
    from detectors.api import choose_models, resolve_model_files
    from lifters.api import load_lifter
    from lifters.causal import CausalLifter
    from lifters.world.camera import clip_intrinsics

    def make(source) -> LiveEngine:
        detector = resolve_model_files(*choose_models("auto", "auto", 1))[0]
        engine = LiveEngine(build_live_estimator(detector, 1, None), CausalLifter(load_lifter("blazepose3d")),
                            clip_intrinsics(source.frame_size), source.fps)
        engine.warm_up(*source.frame_size)
        return engine

    return make


def test_live_session_headless_frames_timestamps_drops_and_the_preview(short_clip, live_engine_factory):
    from app.live.session import run_live
    from app.live.view import LiveView

    source = RealtimeFileSource(short_clip)
    engine = live_engine_factory(source)
    preview = MjpegPreview(0)
    shown, fetched = [], {}

    def sink(processed, composite):
        shown.append((processed, composite.shape))
        preview.publish(encode_jpeg(composite))

    def client():  # a browser: the single frame, then two parts of the stream, while the session runs
        fetched["frame"] = _get(preview.port, "/frame.jpg").read()
        fetched["stream"] = _mjpeg_parts(_get(preview.port, "/stream.mjpg"), 2)

    browser = threading.Thread(target=client)
    browser.start()
    try:
        stats = run_live(source, engine, lambda p: LiveView(*source.frame_size, source.fps), [sink],
                         threading.Event())
    finally:
        browser.join(timeout=30)
        engine.close()
        preview.close()
    assert stats.captured == CLIP_FRAMES  # every frame of the clip was delivered, processed or dropped
    assert stats.processed == len(shown) and stats.processed + stats.dropped == CLIP_FRAMES
    assert source.frames.dropped <= stats.dropped  # the capture mailbox's drops, plus the drawing side's
    assert np.all(np.diff(stats.indices) >= 1) and stats.indices[-1] < CLIP_FRAMES  # each shown once, in order
    assert stats.dropped == CLIP_FRAMES - len(set(stats.indices))
    assert np.all(np.diff(stats.captured_at) > 0) and np.all(np.diff(stats.ready_at) > 0)
    assert np.all(stats.latencies() > 0)
    media_times = [processed.frame.media_time for processed, _ in shown]
    np.testing.assert_allclose(media_times, np.array(stats.indices) / source.fps)  # the file's own clock
    assert {shape for _, shape in shown} == {(480, 854 + 480, 3)}
    assert sum(len(processed.track_ids) for processed, _ in shown) > 0
    for jpeg in [fetched["frame"], *fetched["stream"]]:
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert jpeg[:2] == b"\xff\xd8" and image.shape == (480, 854 + 480, 3)
    assert "dropped" in stats.summary() and "95th percentile" in stats.summary()


def test_live_session_stops_cleanly_when_asked(short_clip, live_engine_factory):
    from app.live.session import run_live
    from app.live.view import LiveView

    source = RealtimeFileSource(short_clip)
    engine = live_engine_factory(source)
    stop = threading.Event()
    shown = []

    def sink(processed, composite):
        shown.append(processed.frame.index)
        if len(shown) == 3:
            stop.set()  # as 'q' in the window or Ctrl-C do

    try:
        stats = run_live(source, engine, lambda p: LiveView(*source.frame_size, source.fps), [sink], stop)
    finally:
        engine.close()
    assert stats.processed == 3 == len(shown)
    assert not source._thread.is_alive()  # the capture thread was stopped
    assert 3 <= stats.captured < CLIP_FRAMES and stats.dropped == stats.captured - 3


# --- the command line ----------------------------------------------------------------------------------------------

def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, str(REPO / "run_demo.py"), *map(str, args), "--no-progress"], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--webcam", "-1"], "a camera index is at least 0"),
    (["--webcam", "front"], "is not a camera index"),
    (["--realtime", "missing.mp4"], "missing.mp4: no such file"),
    (["--realtime", "{clip}", "--port", "70000"], "a port number is in 0..65535"),
    (["--realtime", "{clip}", "--gif"], "--gif is for video files"),
    (["--realtime", "{clip}", "--pose2d", "yolo"], "live, the 2D stage is BlazePose"),
    (["--webcam", "57"], "webcam 57: cannot be opened"),
    (["--video", "{clip}", "--record", "--port", "9000"], "--record, --port: for live sources only"),
])
def test_live_option_errors_are_one_line_and_exit_2(args, message, short_clip):
    result = _cli(*[str(short_clip) if arg == "{clip}" else arg for arg in args])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_cli_realtime_records_and_ctrl_c_keeps_the_recording(tmp_path):
    process = subprocess.Popen([sys.executable, str(REPO / "run_demo.py"), "--realtime", str(SAMPLE_CLIP),
                                "--max-people", "1", "--no-window", "--record", "--port", "0", "--output",
                                str(tmp_path), "--no-progress"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:  # wait until the session runs, then a second more
        lines.append(line)
        if line.startswith("live:"):
            break
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    stderr = "".join(lines) + stderr
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "recorded:" in stderr
    assert "frames captured" in stdout and "dropped" in stdout
    folder = tmp_path / "live_sports2d_demo"
    clip = ClipKeypoints.load(folder / "live_sports2d_demo_keypoints.npz")
    assert 0 < clip.num_frames < 230 and clip.valid.any() and clip.lifter == "blazepose3d"
    assert clip.keypoints_3d_world is not None and np.isfinite(clip.keypoints_3d_world).all()
    assert len(list(VideoReader(folder / "live_sports2d_demo.mp4"))) == clip.num_frames


def test_live_view_reframes_only_when_someone_leaves_the_panel():
    from app.live.view import LiveView, REFRAME_MARGIN

    view = LiveView(64, 48, 30.0)
    assert view.size == (64 + 48, 48)

    def at(x: float) -> ProcessedFrame:
        processed = _processed(0, [1])
        processed.placed.keypoints_world[:] = STANDING + [x, 3.0, 0.0]  # z up, the feet on the floor
        return processed

    composite = view(at(0.0), "live 30.0 fps")
    assert composite.shape == (48, 112, 3) and composite.dtype == np.uint8
    first = view.renderer
    # the joints' 1st percentile (between the wrists' -0.24 and the elbows' -0.22 m), 30 cm and the margin
    assert -0.24 - 0.3 - REFRAME_MARGIN <= first.panel_3d.bounds[0, 0] <= -0.22 - 0.3 - REFRAME_MARGIN
    view(at(0.5), "")  # still inside: the same framing
    assert view.renderer is first
    view(at(3.0), "")  # the pelvis left the panel: framed again around it
    assert view.renderer is not first and view.renderer.panel_3d.bounds[0, 0] < 3.0 < view.renderer.panel_3d.bounds[1, 0]
