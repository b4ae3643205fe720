import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from app.errors import InputError
from app.video_io import GifWriter, Mp4Writer, VideoReader
from conftest import write_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def probe(path) -> dict:
    """Codec, frame rate and decoded frame count of a video, as the bundled ffmpeg reports them."""
    result = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                            capture_output=True, text=True)
    log = result.stderr
    stream = next(line for line in log.splitlines() if "Video:" in line)
    frames = int(log.rsplit("frame=", 1)[1].split()[0])
    fps = float(stream.split(" fps")[0].rsplit(",", 1)[1])
    return {"codec": stream.split("Video:")[1].split()[0], "fps": fps, "frames": frames}


def test_mp4_writer_writes_h264_with_exact_frame_count_and_rate(tmp_path):
    path = tmp_path / "out.mp4"
    with Mp4Writer(path, fps=30, size=(64, 48)) as writer:
        for value in range(37):
            writer.write(np.full((48, 64, 3), value * 6, np.uint8))
    assert probe(path) == {"codec": "h264", "fps": 30.0, "frames": 37}
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_mp4_writer_leaves_nothing_behind_on_error(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError):
        with Mp4Writer(path, fps=25, size=(64, 48)) as writer:
            writer.write(np.zeros((48, 64, 3), np.uint8))
            raise RuntimeError("render failed")
    assert list(tmp_path.iterdir()) == []


def test_mp4_writer_rejects_odd_sizes_and_wrong_frames(tmp_path):
    with pytest.raises(ValueError, match="even frame size"):
        Mp4Writer(tmp_path / "odd.mp4", fps=25, size=(63, 48))
    with Mp4Writer(tmp_path / "ok.mp4", fps=25, size=(64, 48)) as writer:
        with pytest.raises(ValueError, match="frame must be uint8 48x64x3"):
            writer.write(np.zeros((48, 62, 3), np.uint8))
        writer.write(np.zeros((48, 64, 3), np.uint8))


def test_gif_writer_subsamples_to_at_most_10_fps(tmp_path):
    from PIL import Image

    path = tmp_path / "out.gif"
    with GifWriter(path, fps=30, width=32) as writer:
        for value in range(30):
            writer.write(np.full((24, 48, 3), value * 8, np.uint8))
    with Image.open(path) as gif:
        assert gif.n_frames == 10 and gif.size == (32, 16)
        assert gif.info["duration"] == 100


def test_reader_reads_every_frame_and_the_rate(tmp_path):
    frames = [np.full((40, 60, 3), value, np.uint8) for value in range(0, 250, 10)]
    reader = VideoReader(write_clip(tmp_path / "clip.avi", frames, fps=12))
    decoded = list(reader)
    assert len(decoded) == 25 and decoded[0].shape == (40, 60, 3)
    assert reader.fps == 12


def test_reader_applies_rotation_metadata(tmp_path):
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10", "-frames:v", "3",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain)], check=True)
    subprocess.run([FFMPEG, "-v", "error", "-display_rotation", "90", "-i", str(plain), "-c", "copy", str(rotated)],
                   check=True)
    frame = next(iter(VideoReader(rotated)))
    assert frame.shape == (160, 90, 3)
    # ffmpeg itself applies the rotation when decoding: OpenCV's upright frame must match it.
    reader = imageio_ffmpeg.read_frames(str(rotated))
    info = next(reader)
    assert tuple(info["size"]) == (90, 160)
    reference_rgb = np.frombuffer(next(reader), np.uint8).reshape(160, 90, 3)
    assert np.abs(reference_rgb.astype(int) - frame[..., ::-1].astype(int)).mean() < 8


@pytest.mark.parametrize("content, message", [(None, "no such file"), (b"not a video at all", "cannot be opened")])
def test_reader_errors_are_one_line(tmp_path, content, message):
    path = tmp_path / "input.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as error:
        VideoReader(path)
    assert "\n" not in str(error.value)
