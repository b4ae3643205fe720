"""The side-by-side MP4 keeps the input's audio, in sync, with its frames and rate unchanged."""
import subprocess

import imageio_ffmpeg
import numpy as np

from app.audio import audio_codec, copy_audio
from app.video_io import Mp4Writer
from conftest import BEEP_SECONDS, EXPORTED_FRAMES, SAMPLE_CLIP, write_clip
from test_video_io import probe

RATE = 44100


def _audio(path) -> np.ndarray:
    """The first audio track of ``path`` decoded to mono 16-bit samples at 44.1 kHz."""
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path),
                             "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
                            capture_output=True, check=True)
    return np.frombuffer(result.stdout, np.int16)


def _onset_seconds(samples: np.ndarray) -> float:
    return float(np.flatnonzero(np.abs(samples.astype(np.int32)) > 3000)[0] / RATE)


def test_output_mp4_has_the_input_audio_in_sync(exported_clip):
    video = exported_clip / "beep.mp4"
    source = exported_clip.parent.parent / "beep.mkv"
    assert audio_codec(source) == "pcm_s16le" and audio_codec(video) == "aac"  # PCM: encoded for MP4
    assert probe(video) == {"codec": "h264", "fps": 30.0, "frames": EXPORTED_FRAMES}
    # The beep starts at the same time in the output as in the input: within a millisecond, far under one frame.
    assert abs(_onset_seconds(_audio(source)) - BEEP_SECONDS) < 1e-3
    assert abs(_onset_seconds(_audio(video)) - BEEP_SECONDS) < 1e-3
    assert abs(len(_audio(video)) / RATE - EXPORTED_FRAMES / 30.0) < 0.05


def _video_only(path, frames=12):
    with Mp4Writer(path, fps=30, size=(64, 48)) as writer:
        for value in range(frames):
            writer.write(np.full((48, 64, 3), value * 20, np.uint8))
    return path


def test_aac_audio_is_copied(tmp_path):
    video = _video_only(tmp_path / "out.mp4")
    assert copy_audio(SAMPLE_CLIP, video) is True
    assert audio_codec(video) == "aac" and probe(video) == {"codec": "h264", "fps": 30.0, "frames": 12}
    np.testing.assert_array_equal(_audio(video)[:RATE], _audio(SAMPLE_CLIP)[:RATE])  # copied, not re-encoded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_source_without_audio_leaves_the_video_as_it_is(tmp_path):
    video = _video_only(tmp_path / "out.mp4")
    before = video.read_bytes()
    silent = write_clip(tmp_path / "silent.avi", [np.zeros((48, 64, 3), np.uint8)] * 5)
    assert audio_codec(silent) is None
    assert copy_audio(silent, video) is False
    assert video.read_bytes() == before
