"""``--ray``: a folder of videos as Ray tasks on a local 2-CPU Ray instance, against the sequential batch."""
import contextlib
import hashlib
import io
import os

import pytest

from app.cli import main
from app.pipeline import RunOptions
from app.ray_batch import task_options
from conftest import SAMPLE_CLIP, cut_clip

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": str(SAMPLE_CLIP.parents[1])}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    cut_clip(SAMPLE_CLIP, folder / "a.avi", 20)
    cut_clip(SAMPLE_CLIP, folder / "b.avi", 24)
    (folder / "broken.mp4").write_bytes(b"\x00" * 100)
    return folder


def _files(folder):
    """{relative path: md5} of every file under ``folder``."""
    return {str(path.relative_to(folder)): hashlib.md5(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _run(capsys, *args):
    code = main([*args, "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def batches(local_ray, folder, tmp_path_factory):
    """The same folder through the sequential batch and through Ray: {name: (exit status, stdout, stderr, out)}."""
    runs = {}
    for name, extra in (("sequential", []), ("ray", ["--ray"])):
        out = tmp_path_factory.mktemp(name)
        stdout, stderr = io.StringIO(), io.StringIO()  # module scope has no capsys
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["--input-dir", str(folder), "--output", str(out), "--no-progress", *extra])
        runs[name] = (code, stdout.getvalue(), stderr.getvalue(), out)
    return runs


def test_ray_batch_writes_the_same_files_as_the_sequential_batch(batches):
    sequential, on_ray = _files(batches["sequential"][3]), _files(batches["ray"][3])
    assert sorted({path.split(os.sep)[0] for path in on_ray}) == ["a", "b"]
    assert "a/a.mp4" in on_ray and "b/b_keypoints.npz" in on_ray
    assert on_ray == sequential  # byte for byte


def test_ray_batch_isolates_the_broken_video_and_shows_progress(batches):
    code, stdout, stderr, _ = batches["ray"]
    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken.mp4" in errors[0] and "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("progress:")] == [
        "progress: 1/3 videos", "progress: 2/3 videos", "progress: 3/3 videos"]
    assert "2 of 3 videos done" in stderr
    assert "a.avi: 20 frames" in stdout and "b.avi: 24 frames" in stdout


def test_resume_on_ray_skips_finished_videos_and_redoes_incomplete_ones(batches, folder, capsys):
    out = batches["ray"][3]
    kept = (out / "a" / "a.mp4").stat()
    (out / "b" / "b.json").unlink()  # b's set is no longer what this run writes
    code, stdout, stderr = _run(capsys, "--input-dir", str(folder), "--output", str(out), "--ray", "--resume")
    assert code == 1  # the broken video is tried again, and fails again
    assert f"a.avi: skipped, {out / 'a'} is complete (--resume)" in stderr
    assert "b.avi: 24 frames" in stdout and "a.avi: 24" not in stdout and "a.avi: 20 frames" not in stdout
    assert (out / "b" / "b.json").is_file()
    again = (out / "a" / "a.mp4").stat()
    assert (again.st_ino, again.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)  # not rewritten
    assert [line for line in stderr.splitlines() if line.startswith("progress:")] == [
        "progress: 1/2 videos", "progress: 2/2 videos"]


def test_ray_tasks_keep_the_landmark_calls_in_their_own_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = task_options(RunOptions(output_dir="out", max_people=3))
    assert options.landmark_process is False  # one CPU per task: no worker process beside it
    assert options.output_dir == tmp_path / "out" and options.output_dir.is_absolute()
    assert options.progress is False and options.max_people == 3
