"""BlazePose's landmark calls split between this process and a worker process (``detectors.landmark_process``):
the same bits as one process on real frames, and a worker that never outlives its use."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import psutil
import pytest

from detectors.blazepose_roi import BlazePoseLandmarker, PersonLandmarks, PoseRegion
from detectors.landmark_process import TwoProcessLandmarker, worker_share
from conftest import REPO, SAMPLE_CLIP

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the worker process is POSIX only")
GREY = np.full((480, 640, 3), 128, np.uint8)
# Two regions inside the grey frame (nobody there: the model returns None) and one outside it.
TWO_REGIONS = [PoseRegion(np.array([200.0, 240.0]), 200.0, 0.0), PoseRegion(np.array([450.0, 240.0]), 150.0, 0.3)]
OUTSIDE = PoseRegion(np.array([-500.0, -500.0]), 100.0, 0.0)


def test_the_worker_gets_every_other_crop_by_size_the_largest_first():
    assert worker_share([10, 50, 30, 20]) == [False, True, False, True]  # by size: 50, 30, 20, 10
    assert worker_share([5, 5, 5]) == [True, False, True]  # ties in call order; one more to the worker
    assert worker_share([7]) == [True]
    assert worker_share([]) == []


def same_landmarks(a: PersonLandmarks | None, b: PersonLandmarks | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return (np.array_equal(a.keypoints, b.keypoints) and np.array_equal(a.scores, b.scores)
            and np.array_equal(a.world_keypoints, b.world_keypoints)
            and np.array_equal(a.next_region.centre, b.next_region.centre)
            and a.next_region.size == b.next_region.size and a.next_region.rotation == b.next_region.rotation
            and (a.silhouette is None) == (b.silhouette is None)
            and (a.silhouette is None or (np.array_equal(a.silhouette.mask, b.silhouette.mask)
                                          and np.array_equal(a.silhouette.offset, b.silhouette.offset))))


class RecordingLandmarker(BlazePoseLandmarker):
    """BlazePoseLandmarker keeping every call's frame, regions and results."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __call__(self, frame_bgr, regions, hidden=None, segment=None):
        results = super().__call__(frame_bgr, regions, hidden, segment)
        self.calls.append((frame_bgr, list(regions), hidden, segment, results))
        return results


def test_two_processes_give_the_same_bits_as_one_on_the_sample_clips_two_people():
    """The follower's own calls on frames 120-139 of the sample clip (the man on the roof, the woman in front),
    and each frame's regions once more with the larger retry regions and one outside the frame (7 at once)."""
    from detectors.api import DEFAULT_YOLO, DETECTOR_IMAGE_SIZE
    from detectors.follow import RETRY_SCALE, DetectAndFollow
    from detectors.yolo import YoloPersonDetector
    from weights.registry import resolve

    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    frames = [capture.read()[1] for _ in range(140)][120:]
    capture.release()
    recorder = RecordingLandmarker()
    follower = DetectAndFollow(YoloPersonDetector(resolve(DEFAULT_YOLO), device="cpu",
                                                  image_size=DETECTOR_IMAGE_SIZE), recorder)
    try:
        follower(frames)
        calls = [call for call in recorder.calls if len(call[1]) >= 2]
        assert len(calls) >= 19  # both people followed on (almost) every frame
        # Segmented, and each person with the other's silhouette painted grey (the two never overlap here).
        frame, regions, *_ = calls[0]
        segmented = recorder(frame, regions, segment=[True, True])
        assert all(landmarks.silhouette is not None for landmarks in segmented)
        hidden = [[segmented[1].silhouette], [segmented[0].silhouette]]
        calls.append((frame, regions, hidden, [True, False], recorder(frame, regions, hidden, [True, False])))
        for frame, regions, *_ in calls[::4]:
            many = regions + [region.scaled(RETRY_SCALE) for region in regions] + [OUTSIDE]
            calls.append((frame, many, None, None, recorder(frame, many)))
    finally:
        follower.close()
    with TwoProcessLandmarker(min_regions=2) as landmarker:
        landmarker.start_worker(timeout=60)
        for frame, regions, hidden, segment, expected in calls:
            results = landmarker(frame, regions, hidden, segment)
            assert len(results) == len(regions)
            assert all(same_landmarks(a, b) for a, b in zip(results, expected))
        assert results[-1] is None  # the region outside the frame
        # Half of each call's regions inside the frame (one more when odd) went to the worker.
        inside = [len(regions) - (regions[-1] is OUTSIDE) for _, regions, *_ in calls]
        assert landmarker.worker_regions == sum((count + 1) // 2 for count in inside)


def ended(pid: int, seconds: float = 10.0) -> bool:
    """Whether process ``pid`` has ended within ``seconds`` (a zombie whose new parent has not reaped it counts)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_one_region_runs_here_and_starts_no_worker():
    with TwoProcessLandmarker(min_regions=2) as landmarker:
        assert landmarker(GREY, TWO_REGIONS[:1]) == [None]
        assert landmarker.worker_pid is None


def test_close_ends_the_worker_and_a_later_call_starts_another():
    landmarker = TwoProcessLandmarker(min_regions=2)
    landmarker.start_worker(timeout=60)
    assert landmarker(GREY, TWO_REGIONS + [OUTSIDE]) == [None, None, None]
    assert landmarker.worker_regions == 1
    first = landmarker.worker_pid
    landmarker.close()
    assert landmarker.worker_pid is None and not psutil.pid_exists(first)  # ended and reaped
    landmarker.start_worker(timeout=60)
    assert landmarker(GREY, TWO_REGIONS) == [None, None] and landmarker.worker_regions == 2
    second = landmarker.worker_pid
    with landmarker:
        pass
    assert second != first and not psutil.pid_exists(second)


def test_an_error_in_a_call_ends_the_worker():
    landmarker = TwoProcessLandmarker(min_regions=2)
    landmarker.start_worker(timeout=60)
    pid = landmarker.worker_pid

    def broken(*args):
        raise ValueError("broken here")

    landmarker._local.on_crop = broken
    with pytest.raises(ValueError, match="broken here"):
        landmarker(GREY, TWO_REGIONS)
    assert landmarker.worker_pid is None and not psutil.pid_exists(pid)


def test_a_worker_that_died_is_an_error_and_the_next_call_starts_a_new_one():
    landmarker = TwoProcessLandmarker(min_regions=2)
    landmarker.start_worker(timeout=60)
    os.kill(landmarker.worker_pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=r"landmark worker process ended unexpectedly \(exit status -9\)"):
        landmarker(GREY, TWO_REGIONS)
    assert landmarker.worker_pid is None
    landmarker.start_worker(timeout=60)
    assert landmarker(GREY, TWO_REGIONS) == [None, None]
    landmarker.close()


def test_ctrl_c_reaching_the_worker_leaves_it_to_this_process():
    with TwoProcessLandmarker(min_regions=2) as landmarker:
        landmarker.start_worker(timeout=60)
        os.kill(landmarker.worker_pid, signal.SIGINT)  # as a terminal's Ctrl-C, sent to the whole group
        time.sleep(0.2)
        assert landmarker(GREY, TWO_REGIONS) == [None, None] and landmarker.worker_regions == 1


PARENT = """
import os, signal, sys
import numpy as np
from detectors.blazepose_roi import PoseRegion
from detectors.landmark_process import TwoProcessLandmarker
landmarker = TwoProcessLandmarker(min_regions=2)
landmarker.start_worker(timeout=60)
regions = [PoseRegion(np.array([200.0, 240.0]), 200.0, 0.0), PoseRegion(np.array([450.0, 240.0]), 150.0, 0.3)]
assert landmarker(np.full((480, 640, 3), 128, np.uint8), regions) == [None, None]
print(landmarker.worker_pid, flush=True)
if sys.argv[1] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["killed", "exits without close"])
def test_the_worker_ends_with_its_parent(how):
    """A parent killed outright (its worker sees its stdin end) or one that exits without closing the landmarker
    (``weakref.finalize`` at exit) leaves no worker running."""
    result = subprocess.run([sys.executable, "-c", PARENT, how], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == (-signal.SIGKILL if how == "killed" else 0), result.stderr
    assert ended(int(result.stdout))
