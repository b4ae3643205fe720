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


def test_world_keys_are_saved_with_their_dtypes_and_loaded_back(tmp_path):
    rng = np.random.default_rng(1)
    base = dict(keypoints_2d=np.zeros((2, 5, 17, 2)), scores_2d=np.zeros((2, 5, 17)),
                keypoints_3d=np.zeros((2, 5, 17, 3)), valid=np.ones((2, 5), bool), track_ids=np.array([0, 1]),
                fps=30.0, image_size=(640, 480), lifter="blazepose3d")
    world = dict(root_camera=rng.random((2, 5, 3)), keypoints_3d_camera=rng.random((2, 5, 17, 3)),
                 keypoints_3d_world=rng.random((2, 5, 17, 3)), foot_contacts=rng.random((2, 5, 2)) > 0.5,
                 person_scale=np.array([1.0, 0.9]), camera_matrix=np.eye(3), world_from_camera=np.eye(4))
    path = tmp_path / "clip_keypoints.npz"
    save_keypoints(path, ClipKeypoints(**base, **world, focal_source="prior"))
    with np.load(path) as data:
        for name, value in world.items():
            assert data[name].shape == value.shape
            assert data[name].dtype == (bool if name == "foot_contacts" else np.float32)
        assert str(data["focal_source"]) == "prior"
    loaded = ClipKeypoints.load(path)
    for name, value in world.items():
        np.testing.assert_allclose(getattr(loaded, name), value, rtol=1e-6)
    assert loaded.focal_source == "prior"
    # Without the world the npz holds only the base keys, and loads with None for them.
    save_keypoints(path, ClipKeypoints(**base))
    with np.load(path) as data:
        assert not set(world) & set(data.files)
    assert ClipKeypoints.load(path).keypoints_3d_world is None
