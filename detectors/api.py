"""Choosing the 2D stage from the CLI's options."""
from __future__ import annotations

from detectors.blazepose import BlazePoseEstimator


def build_pose_estimator(detector: str = "auto", pose2d: str = "auto", max_people: int = 1):
    """Return a callable ``estimator(frames: list[BGR uint8]) -> list[FramePoses]`` with a ``name`` and ``close()``.

    Today: the embedded BlazePose (single person).
    """
    if detector not in ("auto", "blazepose") or pose2d not in ("auto", "blazepose"):
        raise ValueError(f"unknown 2D stage detector={detector!r} pose2d={pose2d!r}; available: blazepose")
    return BlazePoseEstimator()
