"""The npz written for each video: keys, dtypes and a lossless round trip through ``ClipKeypoints``."""
import numpy as np

from app.export import ClipKeypoints, save_keypoints
from lifters.skeleton import H36M_JOINT_NAMES


def test_clip_keypoints_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    clip = ClipKeypoints(keypoints_2d=rng.random((2, 5, 17, 2), np.float32) * 100,
                         scores_2d=rng.random((2, 5, 17), np.float32),
                         keypoints_3d=rng.random((2, 5, 17, 3), np.float32),
                         valid=rng.random((2, 5)) > 0.3, track_ids=np.array([0, 3]), fps=29.97,
                         image_size=(640, 480), lifter="blazepose3d")
    path = tmp_path / "clip_keypoints.npz"
    save_keypoints(path, clip)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip_keypoints.npz"]  # no partial file left
    with np.load(path) as data:
        assert data["keypoints_2d"].dtype == np.float32 and data["valid"].dtype == bool
        assert data["track_ids"].dtype == np.int64 and data["image_size"].dtype == np.int32
        assert list(data["joint_names"]) == list(H36M_JOINT_NAMES)
    loaded = ClipKeypoints.load(path)
    assert loaded.num_people == 2 and loaded.num_frames == 5
    for name in ("keypoints_2d", "scores_2d", "keypoints_3d", "valid", "track_ids"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(clip, name))
    assert loaded.fps == np.float32(29.97) and loaded.image_size == (640, 480) and loaded.lifter == "blazepose3d"
