"""Shared test helpers: where ../shared is, and small videos made on the fly."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("YOLO_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE_CLIP = REPO / "videos" / "sports2d_demo.mp4"


def requires_shared(relative: str):
    """Skip the test when ../shared/<relative> is absent (the project must not need it)."""
    return pytest.mark.skipif(not (SHARED / relative).exists(), reason=f"../shared/{relative} not available")


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    """Write BGR frames with OpenCV's MPEG-4 encoder (always available)."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def cut_clip(source: Path, path: Path, num_frames: int) -> Path:
    """The first ``num_frames`` frames of ``source``, as a new clip at the same rate."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while len(frames) < num_frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return write_clip(path, frames, fps)
