"""Per-frame cost of the 2D models, one frame per call versus a batch of frames per call, in one run.

YOLO (11n, 11s) is built from ultralytics' yamls and HRNet (W32 256x192, W48 384x288) with random weights: the
cost does not depend on the weight values. YOLO sees whole frames; HRNet sees one person box per frame, so its
per-frame cost is the per-person cost. Frames are vtest.avi's (768x576) when ../shared/media is there, else noise.

    .venv/bin/python benchmarks/bench_2d.py [--batch 8] [--repeats 3] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors import hrnet  # noqa: E402
from detectors.topdown import TopDownPoseEstimator  # noqa: E402
from detectors.yolo import YoloPersonDetector  # noqa: E402

VTEST = ROOT.parent / "shared" / "media" / "vtest.avi"
PERSON_BOX = np.array([[560.0, 180.0, 620.0, 300.0]], np.float32)  # a walker in vtest's frames 0-20


def load_frames(count: int) -> list[np.ndarray]:
    if VTEST.exists():
        capture = cv2.VideoCapture(str(VTEST))
        frames = [capture.read()[1] for _ in range(count)]
        capture.release()
        return frames
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (576, 768, 3), dtype=np.uint8) for _ in range(count)]


def seconds_per_frame(run_batch, frames: list[np.ndarray], batch: int, repeats: int) -> float:
    """Median over ``repeats`` of the wall time per frame of processing ``frames`` in calls of ``batch`` frames."""
    run_batch(frames[:batch])  # warm-up
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for first in range(0, len(frames), batch):
            run_batch(frames[first:first + batch])
        timings.append((time.perf_counter() - start) / len(frames))
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="frames per call in the batched mode")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frames = load_frames(args.batch)
    torch.manual_seed(0)

    models = {}
    for name in ("yolo11n", "yolo11s"):
        detector = YoloPersonDetector(f"{name}.yaml", device="cpu", frames_per_forward=args.batch)
        models[f"YOLO {name[4:]} (imgsz 640)"] = detector
    for width, input_size in ((32, (192, 256)), (48, (288, 384))):
        estimator = TopDownPoseEstimator(hrnet.build(width), input_size, device="cpu")
        models[f"HRNet-W{width} {input_size[1]}x{input_size[0]}"] = (
            lambda batch, estimator=estimator: estimator(batch, [PERSON_BOX] * len(batch)))

    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, {args.repeats} repeats, "
          f"frames: {'vtest.avi' if VTEST.exists() else 'noise'} 768x576, load average {os.getloadavg()[0]:.1f}")
    print("| model | 1 frame per call (ms/frame) | batch of %d (ms/frame) | batched / single |" % args.batch)
    print("|---|---|---|---|")
    for name, model in models.items():
        single = seconds_per_frame(model, frames, 1, args.repeats)
        batched = seconds_per_frame(model, frames, args.batch, args.repeats)
        print(f"| {name} | {single * 1000:.0f} | {batched * 1000:.0f} | {batched / single:.2f} |", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
