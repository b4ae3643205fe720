"""The whole chain, from the command line: outputs, frame counts, error handling and batches."""
import subprocess
from pathlib import Path
import sys

import cv2
import numpy as np
import pytest

from app.audio import audio_codec
from app.cli import main, output_names
from app.pipeline import VideoResult, lift_people
from detectors.base import PoseTracks
from conftest import REPO, SAMPLE_CLIP, cut_clip, write_clip
from test_video_io import probe

NPZ_KEYS = {"keypoints_2d", "scores_2d", "keypoints_3d", "valid", "track_ids", "fps", "image_size", "joint_names",
            "lifter", "root_camera", "keypoints_3d_camera", "keypoints_3d_world", "foot_contacts", "person_scale",
            "camera_matrix", "world_from_camera", "focal_source"}


def _grey_frames(count, size=(320, 240)):
    return [np.full((size[1], size[0], 3), 128, np.uint8) for _ in range(count)]


def test_sample_clip_end_to_end(tmp_path):
    assert main(["--video", str(SAMPLE_CLIP), "--output", str(tmp_path), "--gif", "--no-progress"]) == 0
    folder = tmp_path / "sports2d_demo"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".video3d-output", "sports2d_demo.csv", "sports2d_demo.gif", "sports2d_demo.html", "sports2d_demo.json",
        "sports2d_demo.mp4", "sports2d_demo_keypoints.npz", "sports2d_demo_person0.bvh", "sports2d_demo_person0.trc",
        "sports2d_demo_person1.bvh", "sports2d_demo_person1.trc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sports2d_demo"]  # no staging folder left
    assert probe(folder / "sports2d_demo.mp4") == {"codec": "h264", "fps": 30.0, "frames": 230}
    assert audio_codec(folder / "sports2d_demo.mp4") == "aac"  # the sample clip's AAC track, copied
    data = np.load(folder / "sports2d_demo_keypoints.npz")
    assert set(data.files) == NPZ_KEYS
    # Two people: the man on the roof and the woman walking through the foreground.
    assert data["keypoints_2d"].shape == (2, 230, 17, 2) and data["keypoints_2d"].dtype == np.float32
    assert data["scores_2d"].shape == (2, 230, 17) and data["scores_2d"].dtype == np.float32
    assert data["keypoints_3d"].shape == (2, 230, 17, 3) and data["keypoints_3d"].dtype == np.float32
    assert data["valid"].shape == (2, 230) and data["valid"].dtype == bool
    assert float(data["fps"]) == 30.0 and tuple(data["image_size"]) == (1768, 994)
    assert str(data["lifter"]) == "blazepose3d"  # what --lifter takes
    assert tuple(data["joint_names"][[0, 10, 16]]) == ("pelvis", "head", "right_wrist")
    np.testing.assert_array_equal(data["keypoints_3d"][..., 0, :], 0)
    valid, pelvis = data["valid"], data["keypoints_2d"][:, :, 0]
    man = int(np.argmin(pelvis[:, 100, 1]))  # frame 100: the man stands on the roof, the woman far below
    woman = 1 - man
    assert 300 < pelvis[man, 100, 0] < 700 and 150 < pelvis[man, 100, 1] < 450
    # He has a skeleton in at least 95 % of the frames, the backflip (frames 165-190) included.
    assert valid[man].sum() >= 219 and valid[man, 165:191].sum() >= 20
    # She is another person, in the foreground whenever she is there, and only while she is in the picture.
    assert 120 <= valid[woman].sum() <= 190 and not valid[woman, :35].any()
    assert (pelvis[woman, valid[woman], 1] > 600).all()
    # Ids never swap: on the roof (frames before the flip) the man's pelvis is always in the upper half.
    assert (pelvis[man, :160][valid[man, :160], 1] < 500).all()
    # The world keys: metres, the pelvis in front of the camera, the camera frame = root + the (scaled) pose, and
    # the world's joints projected by the camera land on the 2D.
    assert data["world_from_camera"].shape == (4, 4) and data["camera_matrix"].shape == (3, 3)
    assert data["root_camera"].shape == (2, 230, 3) and data["keypoints_3d_world"].shape == (2, 230, 17, 3)
    assert data["foot_contacts"].shape == (2, 230, 2) and data["foot_contacts"].dtype == bool
    assert str(data["focal_source"]) == "prior" and data["camera_matrix"][0, 0] == np.float32(30 / 36 * 1768)
    assert (data["root_camera"][valid][:, 2] > 2).all() and (data["root_camera"][valid][:, 2] < 30).all()
    transform = data["world_from_camera"]
    camera = (data["keypoints_3d_world"] - transform[:3, 3]) @ transform[:3, :3]
    np.testing.assert_allclose(camera, data["keypoints_3d_camera"], atol=1e-4)
    pixels = camera[..., :2] / camera[..., 2:] * data["camera_matrix"][0, 0] + data["camera_matrix"][:2, 2]
    error = np.linalg.norm(pixels - data["keypoints_2d"], axis=-1)[valid][:, [0, 11, 14]]  # pelvis, shoulders
    assert np.median(error) < 0.03 * 994
    # The man stands on the roof, about 2 m above the grass; his backflip leaves it, he lands on the grass; the
    # woman walks on the grass, nearer the camera than he is.
    lowest = data["keypoints_3d_world"][..., 2].min(axis=-1)  # (P, T) the lowest joint's height
    assert 1.5 < np.median(lowest[man, 20:150]) < 2.6
    assert lowest[man, 168:183].min() > 1.5
    assert np.median(lowest[man, 195:][valid[man, 195:]]) < 0.3
    assert -0.1 < np.median(lowest[woman, valid[woman]]) < 0.2
    depth = data["root_camera"][..., 2]
    assert np.median(depth[woman, valid[woman]]) < np.median(depth[man, 20:150])


def test_export_none_writes_only_the_video_and_the_npz(tmp_path):
    clip = cut_clip(SAMPLE_CLIP, tmp_path / "short.avi", 12)
    assert main(["--video", str(clip), "--output", str(tmp_path / "out"), "--export", "none", "--no-progress"]) == 0
    assert sorted(p.name for p in (tmp_path / "out" / "short").iterdir()) == [".video3d-output", "short.mp4",
                                                                             "short_keypoints.npz"]


def test_person_missing_at_the_start_is_kept_not_dropped(tmp_path):
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    frames = [capture.read()[1] for _ in range(30)]
    capture.release()
    frames = _grey_frames(12, size=(frames[0].shape[1], frames[0].shape[0])) + frames
    clip = write_clip(tmp_path / "late.avi", frames, fps=30)
    assert main(["--video", str(clip), "--output", str(tmp_path / "out"), "--no-progress"]) == 0
    data = np.load(tmp_path / "out" / "late" / "late_keypoints.npz")
    assert data["valid"].shape == (1, 42)
    assert not data["valid"][0, :12].any() and data["valid"][0, 12:].sum() >= 20
    assert (data["keypoints_2d"][0, :12] == 0).all() and (data["scores_2d"][0, :12] == 0).all()
    assert np.isfinite(data["keypoints_3d"]).all()
    # Before the person appears, the world holds them where they are first seen.
    assert np.isfinite(data["keypoints_3d_world"]).all() and np.isfinite(data["root_camera"]).all()
    np.testing.assert_allclose(data["root_camera"][0, :12], np.repeat(data["root_camera"][0, 12:13], 12, 0), atol=0.05)
    assert probe(tmp_path / "out" / "late" / "late.mp4")["frames"] == 42


class _RecordingLifter:
    description = "recorder"

    def __init__(self):
        self.tracks = []

    def __call__(self, track):
        self.tracks.append(track)
        return np.zeros(track.keypoints_2d.shape[:2] + (3,), np.float32)


def test_lifter_gets_interpolated_2d_with_zero_confidence_in_gaps():
    keypoints = np.zeros((1, 5, 17, 2), np.float32)
    keypoints[0, 1] = 100
    keypoints[0, 3] = 300
    valid = np.array([[False, True, False, True, False]])
    scores = np.where(valid[..., None], 0.9, 0.0).astype(np.float32) * np.ones((1, 5, 17), np.float32)
    tracks = PoseTracks(keypoints, scores, np.zeros((1, 5, 4), np.float32), valid, np.zeros(1, np.int64))
    lifter = _RecordingLifter()
    lift_people(lifter, tracks, (400, 400), 25.0)
    track = lifter.tracks[0]
    # Pelvis = mean of the hips: 100, 100, 200, 300, 300 px → normalised x = px / 400 * 2 − 1.
    np.testing.assert_allclose(track.keypoints_2d[:, 0, 0], [-0.5, -0.5, 0.0, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(track.scores[:, 0], [0, 0.9, 0, 0.9, 0], atol=1e-6)
    assert track.fps == 25.0


def _run_cli(*args):
    result = subprocess.run([sys.executable, str(REPO / "run_demo.py"), *args, "--no-progress"], cwd=REPO,
                            capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def _single_error_line(stderr):
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def test_missing_video_is_a_path_error_before_anything_runs(tmp_path):
    code, _, stderr = _run_cli("--video", str(tmp_path / "input.avi"), "--output", str(tmp_path / "out"))
    assert code == 2 and "no such file" in _single_error_line(stderr)


@pytest.mark.parametrize("make, message", [
    (lambda path: (path.write_text("hello"), path)[1], "cannot be opened as a video"),
    (lambda path: write_clip(path, _grey_frames(20)), "no person found in any of its 20 frames"),
], ids=["not-a-video", "nobody"])
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, make, message):
    video = make(tmp_path / "input.avi")
    code, _, stderr = _run_cli("--video", str(video), "--output", str(tmp_path / "out"))
    assert code == 1
    assert message in _single_error_line(stderr)
    assert not (tmp_path / "out" / "input" / "input.mp4").exists()


def test_video_without_decodable_frames(tmp_path):
    path = tmp_path / "empty.avi"
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48)).release()
    code, _, stderr = _run_cli("--video", str(path), "--output", str(tmp_path / "out"))
    assert code == 1 and "no decodable frames" in _single_error_line(stderr)


def test_bad_options_exit_2_with_one_line(tmp_path):
    code, _, stderr = _run_cli("--video", str(SAMPLE_CLIP), "--lifter", "nonsense")
    assert code == 2 and "nonsense" in _single_error_line(stderr)
    code, _, stderr = _run_cli("--input-dir", str(tmp_path))
    assert code == 2 and "no video files" in _single_error_line(stderr)
    code, _, stderr = _run_cli("--video", str(SAMPLE_CLIP), "--detector", "nonsense")
    assert code == 2 and "unknown --detector 'nonsense'" in _single_error_line(stderr)
    code, _, stderr = _run_cli("--video", str(SAMPLE_CLIP), "--export", "bvh,fbx")
    assert code == 2 and "--export: unknown format fbx" in _single_error_line(stderr)


def test_batch_reports_the_broken_video_and_completes_the_others(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    cut_clip(SAMPLE_CLIP, folder / "good.avi", 25)
    (folder / "broken.mp4").write_bytes(b"\x00" * 100)
    (folder / "notes.txt").write_text("not a video, ignored")
    code, stdout, stderr = _run_cli("--input-dir", str(folder), "--output", str(tmp_path / "out"))
    assert code == 1
    assert "broken.mp4" in _single_error_line(stderr)
    assert "1 of 2 videos done" in stderr
    assert "good.avi: 25 frames" in stdout
    assert probe(tmp_path / "out" / "good" / "good.mp4")["frames"] == 25
    assert not (tmp_path / "out" / "broken").exists() or not any((tmp_path / "out" / "broken").iterdir())


def test_output_names_stay_unique_within_a_batch(tmp_path):
    names = output_names([tmp_path / "a.mp4", tmp_path / "a.avi", tmp_path / "b.mp4"])
    assert names == ["a_mp4", "a_avi", "b"]


def test_summary_line_says_who_was_found_and_how_often():
    result = VideoResult(Path("clip.mp4"), Path("out/clip"), num_frames=200, frames_per_person=[196, 50, 7],
                         seconds=10.0, stage_seconds={"decode": 1.0, "2d": 4.0}, flip_corrected_frames=3,
                         focal="1600 px (prior)")
    assert result.num_people == 3
    assert result.summary() == ("clip.mp4: 200 frames, 3 people (#0 98 %, #1 25 %, #2 4 % of the frames), 10.0 s "
                                "(20.0 fps) | left/right flips corrected in 3 frames | focal 1600 px (prior) "
                                "| decode 200 fps · 2d 50 fps → out/clip")
    one = VideoResult(Path("a.avi"), Path("o"), 10, [10], 1.0)
    assert one.summary().startswith("a.avi: 10 frames, 1 person (#0 100 % of the frames), 1.0 s (10.0 fps)")


def test_overlapped_stages_write_the_same_bytes_as_one_after_another(tmp_path, monkeypatch):
    """RunOptions(parallel=True), the default, against the stages run one after another: every output file equal.
    45 frames of the sample clip where both people are seen: five scheduled detections run ahead on the detector
    thread, and half of the landmark calls run in the worker process (made to wait for it, so that it takes every
    frame's share, not only those after it has started)."""
    import hashlib

    from app.pipeline import Pipeline, RunOptions
    from detectors.api import DEFAULT_YOLO
    from detectors import landmark_process
    from detectors.landmark_process import TwoProcessLandmarker
    from lifters.api import auto_lifter_spec, load_lifter

    monkeypatch.setattr(landmark_process, "MIN_REGIONS", 2)  # the worker for the sample clip's two people too
    start_worker, close = TwoProcessLandmarker.start_worker, TwoProcessLandmarker.close
    worker_regions = []
    monkeypatch.setattr(TwoProcessLandmarker, "start_worker", lambda self, timeout=None: start_worker(self, 60))
    monkeypatch.setattr(TwoProcessLandmarker, "close",
                        lambda self: (worker_regions.append(self.worker_regions), close(self)))
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    frames = [capture.read()[1] for _ in range(165)][120:]
    capture.release()
    clip = write_clip(tmp_path / "two.avi", frames, fps=30)
    lifter = load_lifter(auto_lifter_spec(DEFAULT_YOLO, "blazepose"))
    files = {}
    for parallel in (True, False):
        result = Pipeline(lifter, RunOptions(output_dir=tmp_path / str(parallel), gif=True, progress=False,
                                             parallel=parallel)).run(clip)
        assert result.num_frames == 45 and result.num_people == 2
        files[parallel] = {path.name: hashlib.md5(path.read_bytes()).hexdigest()
                           for path in result.output_dir.iterdir()}
    assert {"two.mp4", "two.gif", "two_keypoints.npz", "two.html", "two_person0.bvh"} <= set(files[True])
    assert max(worker_regions) >= 40  # the parallel run's worker: one of the two people on most frames
    assert files[True] == files[False]
