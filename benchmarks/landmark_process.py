"""BlazePose's landmark calls on one process against two (``detectors.landmark_process``), and what it costs.

    python benchmarks/landmark_process.py [--media ../shared/media] [--frames 100]

Prints markdown:
* sending a crop to another process: through the pipe (pickled) against written into a shared memory-mapped file,
  round trips to a child that only touches it (wall time, and the sender's CPU time);
* one landmark call's time against the size of its crop (the same region of a sample-clip frame, scaled);
* the follower's own landmark calls with two or more regions (recorded on the first ``--frames`` frames of the
  sample clip and of vtest.avi), replayed on ``BlazePoseLandmarker`` and on ``TwoProcessLandmarker``, interleaved
  three times: milliseconds per call, the ratio, and whether every result is the same bits.
"""
from __future__ import annotations

import argparse
import mmap
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from detectors.blazepose_roi import BlazePoseLandmarker, PoseRegion, crop_bounds  # noqa: E402
from detectors.landmark_process import TwoProcessLandmarker  # noqa: E402

CHILD = """
import mmap, pickle, sys
shared = None
while True:
    try:
        message = pickle.load(sys.stdin.buffer)
    except EOFError:
        break
    if message[0] == "file":
        shared = shared if shared is not None and len(shared) == message[2] else mmap.mmap(message[1], message[2])
        answer = shared[0]
    else:
        answer = len(message[1])
    pickle.dump(answer, sys.stdout.buffer)
    sys.stdout.buffer.flush()
"""


def transfer() -> list[str]:
    rows = ["| crop | way | wall per call | sender's CPU per call |", "|---|---|---|---|"]
    with tempfile.TemporaryFile() as shared_file:  # as TwoProcessLandmarker's
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 pass_fds=[shared_file.fileno()])
        for side in (140, 400, 700, 1000):
            crop = np.random.default_rng(0).integers(0, 255, (side, side, 3), np.uint8)
            os.ftruncate(shared_file.fileno(), crop.nbytes)
            shared = mmap.mmap(shared_file.fileno(), crop.nbytes)
            for way in ("pipe", "file"):
                calls, wall, cpu = 200, time.perf_counter(), time.process_time()
                for _ in range(calls):
                    if way == "pipe":
                        message = ("pipe", crop)
                    else:
                        np.ndarray(crop.shape, np.uint8, shared)[:] = crop
                        message = ("file", shared_file.fileno(), crop.nbytes)
                    pickle.dump(message, child.stdin, protocol=5)
                    child.stdin.flush()
                    pickle.load(child.stdout)
                rows.append(f"| {side}×{side}×3 ({crop.nbytes / 1e6:.2f} MB) | {way} | "
                            f"{1e3 * (time.perf_counter() - wall) / calls:.2f} ms | "
                            f"{1e3 * (time.process_time() - cpu) / calls:.2f} ms |")
            shared.close()
        child.stdin.close()
        child.wait()
    return rows


def cost_by_crop_size(frame: np.ndarray) -> list[str]:
    rows = ["| region side | crop | landmark call |", "|---|---|---|"]
    landmarker = BlazePoseLandmarker()
    landmarker.start()
    for size in (100, 200, 400, 700, 1000, 1400):
        region = PoseRegion(np.array([frame.shape[1] / 2, frame.shape[0] / 2]), float(size), 0.0)
        low, high = crop_bounds(region, frame.shape)
        crop = cv2.cvtColor(frame[low[1]:high[1], low[0]:high[0]], cv2.COLOR_BGR2RGB)
        times = []
        for _ in range(40):
            start = time.perf_counter()
            landmarker.on_crop(crop, region, low)
            times.append(time.perf_counter() - start)
        rows.append(f"| {size} px | {crop.shape[1]}×{crop.shape[0]} ({crop.shape[0] * crop.shape[1] / 1e3:.0f} "
                    f"thousand px) | {1e3 * statistics.median(times[5:]):.1f} ms |")
    landmarker.close()
    return rows


def recorded_calls(video: Path, frames: int) -> list[tuple[np.ndarray, list[PoseRegion]]]:
    """The default follower's landmark calls with two or more regions on the first ``frames`` frames."""
    from detectors.api import build_pose_estimator

    calls = []

    class Recording(BlazePoseLandmarker):
        def __call__(self, frame_bgr, regions):
            if len(regions) >= 2:
                calls.append((frame_bgr, list(regions)))
            return super().__call__(frame_bgr, regions)

    stage = build_pose_estimator("auto", "auto", device="cpu", landmark_process=False)
    stage.landmarker = Recording()
    capture = cv2.VideoCapture(str(video))
    stage([capture.read()[1] for _ in range(frames)])
    capture.release()
    stage.close()
    return calls


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in ("keypoints", "scores",
                                                                               "world_keypoints"))


def one_against_two(videos: list[Path], frames: int) -> list[str]:
    rows = ["| clip | calls (regions per call) | one process | two processes | two / one | same bits |",
            "|---|---|---|---|---|---|"]
    for video in videos:
        calls = recorded_calls(video, frames)
        one, two = BlazePoseLandmarker(), TwoProcessLandmarker()
        one.start()
        two.start_worker(timeout=60)
        seconds = {"one": [], "two": []}
        results = {}
        for _ in range(3):
            for name, landmarker in (("one", one), ("two", two)):
                start = time.perf_counter()
                results[name] = [landmarker(frame, regions) for frame, regions in calls]
                seconds[name].append((time.perf_counter() - start) / len(calls))
        identical = all(same(a, b) for x, y in zip(results["one"], results["two"]) for a, b in zip(x, y))
        one.close()
        two.close()
        per_call = {name: 1e3 * statistics.median(values) for name, values in seconds.items()}
        regions = statistics.mean(len(regions) for _, regions in calls)
        rows.append(f"| {video.name} | {len(calls)} ({regions:.1f}) | {per_call['one']:.1f} ms | "
                    f"{per_call['two']:.1f} ms | {per_call['two'] / per_call['one']:.2f}× | {identical} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    sample = REPO / "videos" / "sports2d_demo.mp4"
    capture = cv2.VideoCapture(str(sample))
    frame = [capture.read()[1] for _ in range(100)][-1]
    capture.release()
    load_before = os.getloadavg()
    sections = [("Sending a crop to another process", transfer()),
                ("A landmark call against its crop's size (sample clip, frame 99)", cost_by_crop_size(frame)),
                (f"The follower's calls with two or more regions, first {args.frames} frames",
                 one_against_two([sample] + [path for path in [args.media / "vtest.avi"] if path.exists()],
                                 args.frames))]
    print(f"Command: `python benchmarks/landmark_process.py --frames {args.frames}`; {os.cpu_count()} cores; load "
          f"average (1, 5, 15 min) before {', '.join(f'{value:.1f}' for value in load_before)}, after "
          f"{', '.join(f'{value:.1f}' for value in os.getloadavg())}.")
    for title, rows in sections:
        print(f"\n{title}:\n")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
