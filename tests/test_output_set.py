"""OutputSet: one video's outputs appear together or not at all, and nothing of the user's is replaced."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from app.errors import OutputError
from app.output_set import MARKER, OutputSet, check_output_root, check_replaceable, signals_held


def _listing(folder):
    return {path.name: path.read_text() for path in folder.iterdir()}


def _earlier_set(folder):
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("")
    (folder / "clip.mp4").write_text("old mp4")
    (folder / "clip.gif").write_text("old gif")


def test_a_complete_set_replaces_the_earlier_one_whole(tmp_path):
    _earlier_set(tmp_path / "clip")
    with OutputSet(tmp_path / "clip") as staging:
        assert staging.parent == tmp_path and staging.name == f".clip.partial-{os.getpid()}"
        (staging / "clip.mp4").write_text("new mp4")
        (staging / "clip.bvh").write_text("new export")  # any file written there belongs to the set
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip"]
    listing = _listing(tmp_path / "clip")
    assert listing.pop(MARKER).startswith("Written by run_demo.py")
    assert listing == {"clip.mp4": "new mp4", "clip.bvh": "new export"}  # the old gif went with the old set


@pytest.mark.parametrize("failure", [RuntimeError("render failed"), KeyboardInterrupt()])
def test_a_failure_leaves_the_earlier_set_and_no_staging(tmp_path, failure):
    _earlier_set(tmp_path / "clip")
    before = _listing(tmp_path / "clip")
    with pytest.raises(type(failure)):
        with OutputSet(tmp_path / "clip") as staging:
            (staging / "clip.mp4").write_text("half a video")
            raise failure
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip"]
    assert _listing(tmp_path / "clip") == before


def test_a_first_set_appears_only_when_complete(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputSet(tmp_path / "out" / "clip"):
            raise RuntimeError
    assert list((tmp_path / "out").iterdir()) == []
    with OutputSet(tmp_path / "out" / "clip") as staging:
        (staging / "clip.mp4").write_text("mp4")
    assert sorted(_listing(tmp_path / "out" / "clip")) == [MARKER, "clip.mp4"]


def test_folders_that_are_not_earlier_sets_are_never_replaced(tmp_path):
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "theirs")
    for folder, message in (("theirs", "did not write"), ("a_file", "is not a folder"), ("link", "is not a folder")):
        with pytest.raises(OutputError, match=message):
            with OutputSet(tmp_path / folder):
                pass
    assert (tmp_path / "theirs" / "notes.txt").read_text() == "mine" and (tmp_path / "a_file").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty")


def test_a_set_holding_an_input_is_never_replaced(tmp_path):
    _earlier_set(tmp_path / "clip")
    video = tmp_path / "elsewhere.mp4"
    video.write_text("the input")
    os.link(video, tmp_path / "clip" / "renamed.mp4")  # the same file under another name
    with pytest.raises(OutputError, match="elsewhere.mp4 is inside the output folder"):
        with OutputSet(tmp_path / "clip", [video]):
            pass
    assert (tmp_path / "clip" / "renamed.mp4").read_text() == "the input"


def test_leftovers_of_killed_runs_are_cleaned_up(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f".clip.partial-{dead}").mkdir()
    (tmp_path / f".clip.partial-{dead}" / "clip.mp4").write_text("half")
    _earlier_set(tmp_path / f".clip.old-{dead}")  # killed between the two renames of its swap
    with OutputSet(tmp_path / "clip") as staging:
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["clip", staging.name])
        assert _listing(tmp_path / "clip")["clip.gif"] == "old gif"  # the earlier set came back first
        (staging / "clip.mp4").write_text("new")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip"]


def test_signals_are_held_during_the_swap_and_delivered_after(tmp_path):
    received = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: received.append(number))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            assert received == []
        assert received == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_output_root_checks(tmp_path):
    check_output_root(tmp_path / "new" / "deeper")  # creatable: fine, and nothing is created yet
    assert not (tmp_path / "new").exists()
    (tmp_path / "a_file").write_text("")
    with pytest.raises(OutputError, match="a_file exists and is not a folder"):
        check_output_root(tmp_path / "a_file" / "out")
    assert list(tmp_path.iterdir()) == [tmp_path / "a_file"]
