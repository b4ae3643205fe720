"""``--resume``'s test of a complete output folder (``app.resume``), on folders made by hand."""
import numpy as np

from app.output_set import MARKER
from app.resume import complete_output, expected_files


def _output(folder, stem="clip", track_ids=(0, 3), files=("clip.mp4", "clip.json", "clip_person0.bvh",
                                                            "clip_person3.bvh")):
    folder.mkdir()
    (folder / MARKER).write_text("written by run_demo.py\n")
    np.savez(folder / f"{stem}_keypoints.npz", track_ids=np.array(track_ids, np.int64))
    for name in files:
        (folder / name).write_bytes(b"x")
    return folder


def test_expected_files_name_one_file_per_person_for_bvh_and_trc(tmp_path):
    names = [path.name for path in expected_files(tmp_path, "clip", True, ("html", "bvh", "trc"), np.array([0, 3]))]
    assert names == [MARKER, "clip.mp4", "clip_keypoints.npz", "clip.gif", "clip.html", "clip_person0.bvh",
                     "clip_person3.bvh", "clip_person0.trc", "clip_person3.trc"]


def test_a_folder_with_every_file_the_options_ask_for_is_complete(tmp_path):
    folder = _output(tmp_path / "clip")
    assert complete_output(folder, "clip", gif=False, exports=("json", "bvh"))
    assert complete_output(folder, "clip", gif=False, exports=())


def test_a_missing_file_gif_or_person_makes_it_incomplete(tmp_path):
    folder = _output(tmp_path / "clip")
    assert not complete_output(folder, "clip", gif=True, exports=("json", "bvh"))  # no GIF
    assert not complete_output(folder, "clip", gif=False, exports=("json", "bvh", "csv"))  # no CSV
    (folder / "clip_person3.bvh").unlink()
    assert not complete_output(folder, "clip", gif=False, exports=("bvh",))  # person 3's BVH is missing


def test_without_the_marker_or_with_a_broken_npz_it_is_incomplete(tmp_path):
    folder = _output(tmp_path / "clip")
    (folder / MARKER).unlink()
    assert not complete_output(folder, "clip", gif=False, exports=())
    other = _output(tmp_path / "other", stem="other", files=("other.mp4",))
    (other / "other_keypoints.npz").write_bytes(b"not a zip")
    assert not complete_output(other, "other", gif=False, exports=())
    assert not complete_output(tmp_path / "absent", "absent", gif=False, exports=())
