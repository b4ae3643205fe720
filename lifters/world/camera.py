"""The video camera's intrinsics: a pinhole with the principal point at the image centre and one focal length,
lens distortion ignored.

The focal length comes, in this order, from the caller (a known calibration), from the file's metadata (the
35 mm-equivalent focal length that iPhones write into their videos), or from a prior: ``FOCAL_PRIOR_35MM`` on
the long side of the frame. Nothing in the video itself fixes it for a skeleton-level method (measured on the eval
set, BENCHMARKS.md): a wrong focal length moves every person nearer or farther by the same factor.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

# 35 mm-equivalent focal length of the prior, on the frame's long side (36 mm): a phone's main camera (26 mm
# equivalent on its 4:3 sensor) filming 16:9 video with electronic stabilisation, which crops about 10 %.
FOCAL_PRIOR_35MM = 30.0
FULL_FRAME_DIAGONAL_MM = float(np.hypot(36.0, 24.0))  # 35 mm-equivalent focal lengths refer to this diagonal
APPLE_FOCAL_KEY = b"com.apple.quicktime.camera.focal_length.35mm_equivalent"


@dataclass(frozen=True)
class Intrinsics:
    """focal_px: focal length in pixels; centre: principal point (cx, cy) in pixels; source: where the focal length
    came from ("given", "metadata" or "prior")."""

    focal_px: float
    centre: tuple[float, float]
    source: str

    def normalized(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) → normalised image coordinates (..., 2) = (p − centre) / focal."""
        return (np.asarray(pixels, np.float64) - np.asarray(self.centre)) / self.focal_px

    def project(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) metres (z > 0) → pixels (..., 2)."""
        points = np.asarray(points, np.float64)
        return points[..., :2] / points[..., 2:3] * self.focal_px + np.asarray(self.centre)

    def matrix(self) -> np.ndarray:
        """(3, 3) the camera matrix K."""
        return np.array([[self.focal_px, 0, self.centre[0]], [0, self.focal_px, self.centre[1]], [0, 0, 1]])


def clip_intrinsics(image_size: tuple[int, int], focal_px: float | None = None,
                    video: str | os.PathLike | None = None) -> Intrinsics:
    """The intrinsics for a clip of ``image_size`` (width, height) pixels: ``focal_px`` when given, else the
    video's metadata, else the prior."""
    width, height = image_size
    centre = (width / 2, height / 2)
    if focal_px is not None:
        return Intrinsics(float(focal_px), centre, "given")
    focal_35mm = read_focal_35mm(video) if video is not None else None
    if focal_35mm is not None:
        return Intrinsics(focal_35mm / FULL_FRAME_DIAGONAL_MM * float(np.hypot(width, height)), centre, "metadata")
    return Intrinsics(FOCAL_PRIOR_35MM / 36.0 * max(width, height), centre, "prior")


def read_focal_35mm(video: str | os.PathLike) -> float | None:
    """The 35 mm-equivalent focal length in an MP4/MOV's metadata (``moov/meta`` keys and items), else None.

    Reads only the box headers and the ``moov`` box; anything unexpected gives None.
    """
    try:
        with open(video, "rb") as file:
            moov = _find_box(file, b"moov", os.fstat(file.fileno()).st_size)
    except OSError:
        return None
    if moov is None:
        return None
    meta = _child(moov, b"meta")
    if meta is None:
        return None
    if meta[4:8] == b"hdlr" or meta[4:8] == b"keys":  # QuickTime's meta has no version/flags, ISO's has
        body = meta
    else:
        body = meta[4:]
    keys, items = _child(body, b"keys"), _child(body, b"ilst")
    if keys is None or items is None or len(keys) < 8:
        return None
    names, offset = [], 8
    for _ in range(struct.unpack(">I", keys[4:8])[0]):
        size = struct.unpack(">I", keys[offset:offset + 4])[0]
        if size < 8:
            return None
        names.append(keys[offset + 8:offset + size])
        offset += size
    if APPLE_FOCAL_KEY not in names:
        return None
    wanted = names.index(APPLE_FOCAL_KEY) + 1
    for box_type, payload in _boxes(items):
        if struct.unpack(">I", box_type)[0] == wanted:
            data = _child(payload, b"data")
            return None if data is None else _number(data)
    return None


def _number(data: bytes) -> float | None:
    """The value of a QuickTime ``data`` atom (type indicator, locale, value) as a float, or None."""
    kind, value = struct.unpack(">I", data[:4])[0] & 0xFFFFFF, data[8:]
    try:
        if kind == 1:
            number = float(value.decode("utf-8"))
        elif kind == 23:
            number = struct.unpack(">f", value)[0]
        elif kind == 24:
            number = struct.unpack(">d", value)[0]
        elif kind in (21, 22):
            number = int.from_bytes(value, "big", signed=kind == 21)
        else:
            return None
    except (ValueError, struct.error):
        return None
    return float(number) if 0 < number < 1000 else None


def _boxes(data: bytes):
    """(type, payload) of each box in ``data``."""
    offset = 0
    while offset + 8 <= len(data):
        size, box_type = struct.unpack(">I4s", data[offset:offset + 8])
        if size < 8:
            return
        yield box_type, data[offset + 8:offset + size]
        offset += size


def _child(data: bytes, wanted: bytes) -> bytes | None:
    return next((payload for box_type, payload in _boxes(data) if box_type == wanted), None)


def _find_box(file, wanted: bytes, end: int, max_size: int = 64 << 20) -> bytes | None:
    """The payload of the top-level box ``wanted`` (at most ``max_size`` bytes), reading headers only otherwise."""
    position = 0
    while position + 8 <= end:
        file.seek(position)
        size, box_type = struct.unpack(">I4s", file.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", file.read(8))[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            return None
        if box_type == wanted:
            return file.read(size - header) if size - header <= max_size else None
        position += size
    return None
