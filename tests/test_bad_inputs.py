"""The bad-input and fault matrix of issue 11, run against the command line.

Every input is made here: cut, damaged and 1200 fps clips, a FIFO, read-only and full output folders (small
tmpfs mounts where the machine allows them, else skipped), colliding names, pickles that would run code (checked
through a marker file), signals at different stages, bad option values. Numbers in the comments are the matrix
items.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.cli import build_parser, distinct_videos, find_videos, main, output_names
from app.output_set import MARKER
from conftest import REPO, SAMPLE_CLIP
from test_video_io import FFMPEG, probe

EXIT_OPTION_ERROR = 2


# --- inputs --------------------------------------------------------------------------------------------------------

def make_clip(path: Path, num_frames: int, fps: str = "30") -> Path:
    """Frames 30… of the sample clip (a man on a roof) at 320x180 as H.264 without B-frames, a keyframe every 6
    frames, at ``fps``: the same frames and quality at every rate (raw video in between, a constant quantiser,
    since x264's CRF gives high rates fewer bits)."""
    raw = subprocess.run([FFMPEG, "-v", "error", "-ss", "1", "-i", str(SAMPLE_CLIP), "-frames:v", str(num_frames),
                          "-vf", "scale=320:180", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         capture_output=True, check=True).stdout
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x180", "-r", fps,
                    "-i", "-", "-c:v", "libx264", "-qp", "20", "-bf", "0", "-g", "6", "-pix_fmt", "yuv420p", str(path)],
                   input=raw, check=True)
    return path


def mp4_sample_offsets(data: bytes) -> list[int]:
    """Byte offset of every video sample of a one-track MP4 (from its stsz, stco and stsc boxes)."""
    def payload(name: bytes) -> int:
        return data.index(name) + 4

    stsz, stco, stsc = payload(b"stsz"), payload(b"stco"), payload(b"stsc")
    count = struct.unpack(">I", data[stsz + 8:stsz + 12])[0]
    sizes = struct.unpack(f">{count}I", data[stsz + 12:stsz + 12 + 4 * count])
    chunks = struct.unpack(">I", data[stco + 4:stco + 8])[0]
    chunk_offsets = struct.unpack(f">{chunks}I", data[stco + 8:stco + 8 + 4 * chunks])
    runs = [struct.unpack(">III", data[stsc + 8 + 12 * k:stsc + 20 + 12 * k])
            for k in range(struct.unpack(">I", data[stsc + 4:stsc + 8])[0])]
    offsets = []
    for chunk, offset in enumerate(chunk_offsets, start=1):
        for _ in range([samples for first, samples, _ in runs if first <= chunk][-1]):
            if len(offsets) < count:
                offsets.append(offset)
                offset += sizes[len(offsets) - 1]
    return offsets


def break_samples(source: Path, path: Path, samples: range) -> Path:
    """A copy of ``source`` whose ``samples`` have an impossible NAL unit length: those frames cannot be decoded,
    the ones after them can (the next keyframe restarts the picture)."""
    data = bytearray(source.read_bytes())
    for offset in (mp4_sample_offsets(bytes(data))[sample] for sample in samples):
        data[offset:offset + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(data)
    return path


def write_malicious_pickle(path: Path, marker: Path, layout: str = "ultralytics") -> Path:
    """A ``.pt`` whose unpickling runs ``touch marker``, shaped like an ultralytics checkpoint or a state dict."""
    import torch

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    content = {"model": Payload(), "train_args": {}} if layout == "ultralytics" else {"state_dict": Payload()}
    torch.save(content, path)
    return path


@contextlib.contextmanager
def tmpfs(path: Path, options: str):
    """A tmpfs mounted at ``path`` for the block; skips the test where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'mount failed'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    tiny = make_clip(folder / "tiny.mp4", 12)
    return {
        "tiny": tiny,
        "long": make_clip(folder / "long.mp4", 30),
        "damaged": break_samples(make_clip(folder / "whole.mp4", 24), folder / "damaged.mp4", range(9, 12)),
        "fast": make_clip(folder / "fast.mp4", 12, fps="1200"),
        "truncated": _write(folder / "truncated.mp4", tiny.read_bytes()[:len(tiny.read_bytes()) // 2]),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- running the CLI -----------------------------------------------------------------------------------------------

def quick_env(tmp_path: Path) -> dict[str, str]:
    """An empty model cache and a dead proxy: a download attempt fails at once, as offline."""
    return dict(os.environ, VIDEO3D_CACHE=str(tmp_path / "cache"), https_proxy="http://127.0.0.1:9",
                http_proxy="http://127.0.0.1:9", no_proxy="")


def run_cli(*args, env=None):
    result = subprocess.run([sys.executable, str(REPO / "run_demo.py"), *map(str, args), "--no-progress"], cwd=REPO,
                            capture_output=True, text=True, env=env)
    return result.returncode, result.stdout, result.stderr


def single_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def assert_no_ffmpeg_lines(stderr: str) -> None:
    """FFmpeg's own log lines look like '[h264 @ 0x55e6…] …' or '[mov,mp4,… @ 0x…] moov atom not found'."""
    assert " @ 0x" not in stderr and "moov atom" not in stderr, stderr


# The CLI's checks in one process: each case is main(argv) with stderr captured, and whether torch got imported.
_CHECKS_DRIVER = """
import contextlib, io, json, sys
from app.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
    results.append({"code": code, "stderr": stderr.getvalue(), "torch": "torch" in sys.modules})
print(json.dumps(results))
"""


def run_checks(cases: list[list], env: dict) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", _CHECKS_DRIVER, json.dumps([list(map(str, c)) for c in cases])],
                            cwd=REPO, capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout)


# --- 1, 7, 8, 11, 12: option and path errors answer at once, before torch and any model load ----------------------

def test_option_and_path_errors_exit_2_before_torch_is_imported(tmp_path, clips):
    clip = clips["tiny"]
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    os.mkfifo(tmp_path / "fifo.mp4")
    (tmp_path / "a_folder.mp4").mkdir()
    # 1: the input inside the output folder it would get (the repro), also when that folder is an earlier
    # set, and an --input-dir that is such a folder.
    (tmp_path / "scratch" / "clip").mkdir(parents=True)
    inside = shutil.copy(clip, tmp_path / "scratch" / "clip" / "clip.mp4")
    (tmp_path / "earlier" / "clip").mkdir(parents=True)
    (tmp_path / "earlier" / "clip" / MARKER).write_text("")
    in_earlier_set = shutil.copy(clip, tmp_path / "earlier" / "clip" / "clip.mp4")
    (tmp_path / "theirs" / "tiny").mkdir(parents=True)
    (tmp_path / "theirs" / "tiny" / "notes.txt").write_text("a folder run_demo.py did not write")
    marker = tmp_path / "MARKER"
    evil = write_malicious_pickle(tmp_path / "evil.pt", marker)
    out = tmp_path / "out"
    cases = [  # (arguments, what the one error line says)
        (["--video", inside, "--output", tmp_path / "scratch"], "is inside the output folder"),
        (["--video", in_earlier_set, "--output", tmp_path / "earlier"], "is inside the output folder"),
        (["--input-dir", tmp_path / "earlier" / "clip", "--output", tmp_path / "earlier"], "inside the output folder"),
        (["--video", clip, "--output", tmp_path / "theirs"], "holds files that run_demo.py did not write"),
        (["--video", tmp_path / "fifo.mp4", "--output", out], "not a regular file"),  # 7
        (["--video", tmp_path / "a_folder.mp4", "--output", out], "is a folder, not a video"),  # 12
        (["--video", tmp_path / "absent.mp4", "--output", out], "no such file"),
        (["--video", clip, "--output", a_file], "exists and is not a folder"),
        (["--video", clip, "--output", a_file / "sub"], "exists and is not a folder"),
        (["--video", clip, "--output", out, "--detector", "nonsense"], "unknown --detector 'nonsense'"),
        (["--video", clip, "--output", out, "--pose2d", "nonsense"], "unknown --pose2d 'nonsense'"),
        (["--video", clip, "--output", out, "--lifter", "nonsense"], "unknown lifter 'nonsense'"),
        (["--video", clip, "--output", out, "--lifter", tmp_path / "absent.pt"], "checkpoint file not found"),
        (["--video", clip, "--output", out, "--detector", "yolo11n.pt"], "cannot download yolo11n.pt"),
        (["--video", clip, "--output", out, "--pose2d", "hrnet"], "cannot download td-hm_hrnet"),
        (["--video", clip, "--output", out, "--detector", tmp_path / "absent.pt"], "absent.pt: no such file"),
        (["--video", clip, "--output", out, "--detector", evil], "refers to posix.system"),  # 3
        (["--video", clip, "--output", out, "--pose2d", evil], "refers to posix.system"),
        (["--video", clip, "--output", out, "--azimuth", "nan"], "--azimuth: 'nan' is not a finite number"),  # 11
        (["--video", clip, "--output", out, "--elevation", "inf"], "--elevation: 'inf' is not a finite number"),
        (["--video", clip, "--output", out, "--device", "tpu"], "unknown device 'tpu'"),  # 8
        (["--video", clip, "--output", out, "--device", "tpu", "--lifter", "mixste-synthetic"], "unknown device"),
        (["--video", clip, "--output", out, "--max-people", "0"], "--max-people: must be at least 1"),
    ]
    results = run_checks([arguments for arguments, _ in cases], quick_env(tmp_path))
    for (arguments, message), result in zip(cases, results):
        assert result["code"] == EXIT_OPTION_ERROR, (arguments, result)
        assert message in single_error_line(result["stderr"]), (arguments, result)
        assert not result["torch"], (arguments, "torch was imported before the error")
    assert inside.read_bytes() == clip.read_bytes() and in_earlier_set.read_bytes() == clip.read_bytes()
    assert not out.exists() and not marker.exists()
    assert sorted(p.name for p in (tmp_path / "theirs" / "tiny").iterdir()) == ["notes.txt"]


def test_read_only_output_folder_exits_2_before_torch(tmp_path, clips):
    read_only = tmp_path / "read_only"
    if os.geteuid() == 0:  # root writes through permission bits: a read-only mount is the real thing
        context = tmpfs(read_only, "size=64k,ro")
    else:
        read_only.mkdir()
        read_only.chmod(0o555)
        context = contextlib.nullcontext()
    with context:
        [result] = run_checks([["--video", clips["tiny"], "--output", read_only / "out"]], quick_env(tmp_path))
    assert result["code"] == EXIT_OPTION_ERROR and not result["torch"]
    assert "cannot write in" in single_error_line(result["stderr"])


def test_a_device_this_machine_lacks_is_an_option_error(tmp_path, clips):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for lifter in ("auto", "mixste-synthetic"):
        code, _, stderr = run_cli("--video", clips["tiny"], "--output", tmp_path / "out", "--device", "cuda",
                                  "--lifter", lifter)
        assert code == EXIT_OPTION_ERROR and "CUDA is not available" in single_error_line(stderr)
    assert not (tmp_path / "out").exists()


def test_help_lists_the_model_choices_and_the_view_defaults():  # 13
    text = " ".join(build_parser().format_help().split())
    assert "person detector: auto, yolo, blazepose or a YOLO .pt file (default: auto)" in text
    assert "2D keypoint model: auto, blazepose, yolo, hrnet or an HRNet .pth file (default: auto)" in text
    assert "90 = side (default: 20.0)" in text and "height angle in degrees (default: 25.0)" in text
    assert "cpu, cuda, cuda:N or mps" in text


# --- 3: model files never run code --------------------------------------------------------------------------------

def test_malicious_lifter_file_is_refused_without_running(tmp_path, clips, capsys):
    marker = tmp_path / "MARKER"
    evil = write_malicious_pickle(tmp_path / "evil.pt", marker, layout="state_dict")
    assert main(["--video", str(clips["tiny"]), "--output", str(tmp_path / "out"), "--lifter", str(evil),
                 "--no-progress"]) == EXIT_OPTION_ERROR
    assert "safe loading refuses" in single_error_line(capsys.readouterr().err)
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_malicious_yolo_file_is_refused_by_the_detector_itself(tmp_path):
    from detectors.yolo import YoloPersonDetector
    from weights.safe_pickle import UnsafeModelFile

    marker = tmp_path / "MARKER"
    with pytest.raises(UnsafeModelFile, match="refers to posix.system"):
        YoloPersonDetector(write_malicious_pickle(tmp_path / "evil.pt", marker))
    assert not marker.exists()


# --- 4, 5, 10, 13: one batch of two videos with the same name, one damaged, one at 1200 fps --------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory, clips):
    folder = tmp_path_factory.mktemp("batch")
    for name, clip in (("dA", "damaged"), ("dB", "fast")):
        (folder / name).mkdir()
        shutil.copy(clips[clip], folder / name / "a.mp4")
    code, stdout, stderr = run_cli("--video", folder / "dA" / "a.mp4", "--video", folder / "dB" / "a.mp4",
                                   "--output", folder / "out", "--gif", "--export", "none")
    return code, stdout, stderr, folder / "out"


def test_same_names_in_a_batch_get_their_own_folders(batch):
    code, stdout, stderr, out = batch
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_mp4", "a_mp4_2"]
    assert "2 of 2 videos done" in stderr
    for name in ("a_mp4", "a_mp4_2"):
        assert sorted(p.name for p in (out / name).iterdir()) == [MARKER, f"{name}.gif", f"{name}.mp4",
                                                                  f"{name}_keypoints.npz"]
        assert str(np.load(out / name / f"{name}_keypoints.npz")["lifter"]) == "blazepose3d"  # as --lifter takes it


def test_damaged_stretch_is_skipped_counted_and_warned_about(batch, clips):
    code, stdout, stderr, out = batch
    decodable = probe(clips["damaged"])["frames"]
    assert decodable == 21  # 24 frames, 3 made undecodable
    warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: a.mp4: 3 of its 24 frames could not be decoded (damaged file?); the outputs have "
                        "the 21 decodable frames"]
    assert np.load(out / "a_mp4" / "a_mp4_keypoints.npz")["valid"].shape[1] == decodable
    assert probe(out / "a_mp4" / "a_mp4.mp4")["frames"] == decodable
    assert_no_ffmpeg_lines(stderr)


def test_1200_fps_is_kept_in_the_npz_and_the_mp4(batch):
    code, stdout, stderr, out = batch
    assert float(np.load(out / "a_mp4_2" / "a_mp4_2_keypoints.npz")["fps"]) == 1200.0
    assert probe(out / "a_mp4_2" / "a_mp4_2.mp4") == {"codec": "h264", "fps": 1200.0, "frames": 12}


def test_output_names_for_clashing_stems(tmp_path):
    assert output_names([tmp_path / "a.mp4", tmp_path / "a.avi", tmp_path / "a_mp4.mkv"]) == [
        "a_mp4_2", "a_avi", "a_mp4"]  # a_mp4.mkv keeps its own stem; a.mp4 yields
    assert output_names([tmp_path / "dA" / "a.mp4", tmp_path / "dB" / "a.mp4", tmp_path / "b.mp4"]) == [
        "a_mp4", "a_mp4_2", "b"]
    assert output_names([tmp_path / "Clip.mp4", tmp_path / "clip.mp4"]) == ["Clip_mp4", "clip_mp4_2"]


def test_the_same_file_twice_is_processed_once(tmp_path, recwarn):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x")
    os.link(video, tmp_path / "link.mp4")
    assert distinct_videos([video, tmp_path / "link.mp4", tmp_path / "." / "a.mp4"]) == [video]
    assert len(recwarn) == 2 and "is the same file as" in str(recwarn[0].message)


def test_input_dir_skips_pipes(tmp_path):
    (tmp_path / "b.mp4").write_bytes(b"x")
    os.mkfifo(tmp_path / "a.mp4")
    assert find_videos(tmp_path) == [tmp_path / "b.mp4"]


# --- 2: a full disk -------------------------------------------------------------------------------------------------

def test_full_disk_is_one_line_exit_1_and_leaves_nothing(tmp_path, clips):
    with tmpfs(tmp_path / "small", "size=24k") as small:
        code, _, stderr = run_cli("--video", clips["tiny"], "--output", small)
        left = sorted(p.name for p in small.iterdir())
    assert code == 1
    assert "No space left on device" in single_error_line(stderr)
    assert_no_ffmpeg_lines(stderr)
    assert left == []


def test_mp4_writer_on_a_full_disk_raises_and_removes_its_file(tmp_path):
    from app.errors import OutputError
    from app.video_io import Mp4Writer

    noise = np.random.default_rng(0).integers(0, 255, (30, 240, 320, 3), dtype=np.uint8)
    with tmpfs(tmp_path / "small", "size=64k") as small:
        with pytest.raises(OutputError, match=r"cannot write x.mp4: ffmpeg: .*No space left on device"):
            with Mp4Writer(small / "x.mp4", 30, (320, 240)) as writer:
                for frame in noise:
                    writer.write(frame)
        assert list(small.iterdir()) == []


# --- 11: a lifter that returns NaN ----------------------------------------------------------------------------------

def test_lifter_returning_nan_is_caught_before_anything_is_written(tmp_path, clips, capsys):
    import torch

    checkpoint = torch.load(REPO / "weights" / "mixste_synthetic.pt", weights_only=True)
    checkpoint["state_dict"]["Spatial_patch_to_embedding.weight"][:] = float("nan")
    torch.save(checkpoint, tmp_path / "nan.pt")
    assert main(["--video", str(clips["tiny"]), "--output", str(tmp_path / "out"), "--lifter",
                 str(tmp_path / "nan.pt"), "--no-progress"]) == 1
    assert "returned non-finite 3D (NaN or inf) in 12 of 12 frames" in single_error_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --- 12: FFmpeg's own log lines stay out of the messages -------------------------------------------------------------

def test_truncated_file_gives_the_project_message_only(tmp_path, clips):
    code, _, stderr = run_cli("--video", clips["truncated"], "--output", tmp_path / "out")
    assert code == 1 and "cannot be opened as a video" in single_error_line(stderr)
    assert_no_ffmpeg_lines(stderr)


# --- 6, 9: SIGINT and SIGTERM at every stage leave the previous set or the new one, nothing else ---------------------

def _previous_set(out: Path, stem: str) -> dict[str, bytes]:
    folder = out / stem
    folder.mkdir(parents=True)
    files = {MARKER: b"", f"{stem}.mp4": b"previous mp4", f"{stem}_keypoints.npz": b"previous npz",
             f"{stem}.gif": b"previous gif"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def _wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the stage was never reached"
        time.sleep(0.01)


def _default_interrupt() -> None:
    """In the child: SIGINT's default action, so that Python raises KeyboardInterrupt for it. A shell starts
    background jobs with SIGINT ignored, and Python keeps an ignored SIGINT ignored (a test run started with ``&``
    then saw the signal do nothing)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signal_number, stage", [
    (signal.SIGINT, 0.3), (signal.SIGINT, 1.2), (signal.SIGTERM, 1.2),  # start-up: imports, torch
    (signal.SIGTERM, "2d"), (signal.SIGINT, "render"), (signal.SIGTERM, "render"),
], ids=["int-0.3s", "int-1.2s", "term-1.2s", "term-2d", "int-render", "term-render"])
def test_interrupt_leaves_the_previous_or_the_new_complete_set(tmp_path, clips, signal_number, stage):
    out = tmp_path / "out"
    previous = _previous_set(out, "long")
    # Its own session: the signal goes to the whole process group, as Ctrl-C in a terminal does.
    process = subprocess.Popen([sys.executable, str(REPO / "run_demo.py"), "--video", str(clips["long"]),
                                "--output", str(out), "--no-progress"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_default_interrupt)
    stderr_head = ""
    if stage == "2d":
        while "2D stage:" not in stderr_head:
            line = process.stderr.readline()
            assert line, "the process ended before its 2D stage"
            stderr_head += line
    elif stage == "render":
        _wait_for(lambda: any(out.glob(".long.partial-*/long_keypoints.npz")) or process.poll() is not None)
    else:
        time.sleep(stage)
    os.killpg(process.pid, signal_number)
    stdout, stderr = process.communicate(timeout=120)
    stderr = stderr_head + stderr
    assert "Traceback" not in stderr, stderr
    assert sorted(p.name for p in out.iterdir()) == ["long"]  # no staging folder left
    if process.returncode == 0:  # finished before the signal: the new set, whole
        assert sorted(p.name for p in (out / "long").iterdir()) == [MARKER, "long.mp4", "long_keypoints.npz"]
        assert probe(out / "long" / "long.mp4")["frames"] == 30
    else:
        assert process.returncode == 128 + signal_number, stderr
        assert {p.name: p.read_bytes() for p in (out / "long").iterdir()} == previous
    if stage == "render":
        assert process.returncode == 128 + signal_number, "the signal came too late to test the render stage"
