"""Shared test helpers: where ../shared is, small videos made on the fly, and the session's model cache folder."""
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


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Path:
    """The model cache folder (``VIDEO3D_CACHE``) of every test and of the CLI runs they start, unless a test sets
    its own: tests never touch ~/.cache, and YOLO's ONNX export (``detectors.yolo_onnx``) is made once a session."""
    folder = tmp_path_factory.mktemp("video3d-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VIDEO3D_CACHE", str(folder))
        yield folder


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


FFMPEG_FPS = 30.0
BEEP_SECONDS = 0.5  # where the test clip's audio beeps (frame 15 at 30 fps)
EXPORTED_FRAMES = 45


def clip_with_beep(path: Path, num_frames: int = EXPORTED_FRAMES) -> Path:
    """The first ``num_frames`` frames of the sample clip with a mono PCM track that is silent except for a
    1 kHz beep from ``BEEP_SECONDS`` on, in a Matroska file (PCM is not an MP4 codec: the remux must encode it)."""
    import subprocess
    import wave

    import imageio_ffmpeg

    video = cut_clip(SAMPLE_CLIP, path.with_suffix(".frames.avi"), num_frames)
    rate = 44100
    samples = np.zeros(round(rate * num_frames / FFMPEG_FPS), np.int16)
    start = round(rate * BEEP_SECONDS)
    samples[start:start + rate // 5] = (12000 * np.sin(2 * np.pi * 1000 * np.arange(rate // 5) / rate)).astype(np.int16)
    audio = path.with_suffix(".wav")
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(video),
                    "-i", str(audio), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "pcm_s16le", str(path)],
                   check=True)
    return path


@pytest.fixture(scope="session")
def exported_clip(tmp_path_factory) -> Path:
    """The output folder of the CLI, default options (every export), on a 45-frame cut of the sample clip with a
    beep in its audio: ``<folder>/beep.mp4``, ``beep_keypoints.npz``, ``beep.html``, ... The source is
    ``<folder>/../../beep.mkv``."""
    from app.cli import main

    root = tmp_path_factory.mktemp("exported")
    source = clip_with_beep(root / "beep.mkv")
    assert main(["--video", str(source), "--output", str(root / "out"), "--no-progress"]) == 0
    return root / "out" / "beep"
