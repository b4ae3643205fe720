"""JSON, CSV and TRC exports: exact layout, and a round trip back to the npz values; choosing exports."""
import csv
import json

import numpy as np
import pytest

from app.export import ClipKeypoints
from app.exports import EXPORTERS, parse_exports, write_exports
from app.exports.__main__ import main as exports_main
from app.exports.tables import csv_text, json_document, trc_text
from app.exports.world import WORLD_TO_TRC, world_keypoints
from lifters.skeleton import H36M_JOINT_NAMES


def _clip(world: bool = False) -> ClipKeypoints:
    rng = np.random.default_rng(3)
    valid = np.ones((2, 6), bool)
    valid[0, :2] = False
    valid[1, 4] = False
    keypoints_2d = (rng.random((2, 6, 17, 2)) * 600).astype(np.float32)
    scores = rng.random((2, 6, 17)).astype(np.float32)
    keypoints_2d[~valid], scores[~valid] = 0, 0
    keypoints_3d = (rng.normal(0, 0.4, (2, 6, 17, 3))).astype(np.float32)
    keypoints_3d[..., 0, :] = 0
    clip = ClipKeypoints(keypoints_2d, scores, keypoints_3d, valid, np.array([4, 9]), 25.0, (640, 480), "test-lifter")
    if world:  # the optional world trajectory another stage adds (``keypoints_3d_world``)
        clip.keypoints_3d_world = (rng.normal(0, 1, (2, 6, 17, 3)) + [0, 0, 1]).astype(np.float32)
    return clip


def test_parse_exports():
    assert parse_exports("all") == tuple(EXPORTERS) == ("html", "bvh", "json", "csv", "trc")
    assert parse_exports("none") == ()
    assert parse_exports("BVH, json,bvh") == ("bvh", "json")
    with pytest.raises(ValueError, match="unknown format fbx; choose from html, bvh, json, csv, trc"):
        parse_exports("bvh,fbx")
    with pytest.raises(ValueError, match="unknown format"):
        parse_exports(",")


@pytest.mark.parametrize("world", [False, True], ids=["root-relative", "world"])
def test_json_round_trips_to_the_npz_values(world):
    clip = _clip(world)
    document = json.loads(json.dumps(json_document(clip)))
    assert document["format"] == "video3d-keypoints" and document["format_version"] == 1
    assert (document["fps"], document["image_size"], document["num_frames"]) == (25.0, [640, 480], 6)
    assert document["lifter"] == "test-lifter" and document["track_ids"] == [4, 9]
    assert document["joint_names"] == list(H36M_JOINT_NAMES) and isinstance(document["video3d_version"], str)
    assert [frame["frame"] for frame in document["frames"]] == list(range(6))
    assert document["frames"][5]["time"] == 0.2
    for frame in document["frames"]:
        for person, entry in enumerate(frame["people"]):
            t = frame["frame"]
            assert entry["track_id"] == int(clip.track_ids[person]) and entry["valid"] == clip.valid[person, t]
            assert list(entry["joints"]) == list(H36M_JOINT_NAMES)
            for j, joint in enumerate(entry["joints"].values()):
                np.testing.assert_allclose(joint["xyz"], clip.keypoints_3d[person, t, j], atol=5e-7)
                if world:
                    np.testing.assert_allclose(joint["xyz_world"], clip.keypoints_3d_world[person, t, j], atol=5e-7)
                else:
                    assert "xyz_world" not in joint
                if entry["valid"]:
                    np.testing.assert_allclose([joint["x"], joint["y"]], clip.keypoints_2d[person, t, j], atol=5e-4)
                    assert abs(joint["score"] - clip.scores_2d[person, t, j]) <= 5e-5
                else:
                    assert joint["x"] is None and joint["y"] is None and joint["score"] is None
    assert ("xyz_world" in document["units"]) == world


@pytest.mark.parametrize("world", [False, True], ids=["root-relative", "world"])
def test_csv_is_long_format_and_round_trips(world):
    clip = _clip(world)
    rows = list(csv.DictReader(csv_text(clip).splitlines()))
    assert len(rows) == 6 * 2 * 17
    expected_columns = ["frame", "time", "track_id", "valid", "joint", "x_px", "y_px", "score", "x_m", "y_m", "z_m"]
    assert list(rows[0]) == expected_columns + (["x_world_m", "y_world_m", "z_world_m"] if world else [])
    for index, row in enumerate(rows):
        t, person, j = index // 34, index // 17 % 2, index % 17
        assert (int(row["frame"]), int(row["track_id"]), row["joint"]) == (t, clip.track_ids[person],
                                                                           H36M_JOINT_NAMES[j])
        assert float(row["time"]) == pytest.approx(t / 25.0) and row["valid"] == str(int(clip.valid[person, t]))
        xyz = [float(row[key]) for key in ("x_m", "y_m", "z_m")]
        np.testing.assert_allclose(xyz, clip.keypoints_3d[person, t, j], atol=5e-7)
        if world:
            xyz = [float(row[key]) for key in ("x_world_m", "y_world_m", "z_world_m")]
            np.testing.assert_allclose(xyz, clip.keypoints_3d_world[person, t, j], atol=5e-7)
        if clip.valid[person, t]:
            np.testing.assert_allclose([float(row["x_px"]), float(row["y_px"])], clip.keypoints_2d[person, t, j],
                                       atol=5e-4)
            assert abs(float(row["score"]) - clip.scores_2d[person, t, j]) <= 5e-5
        else:
            assert row["x_px"] == row["y_px"] == row["score"] == ""


def test_trc_header_is_pose2sim_layout_and_markers_round_trip():
    clip = _clip()
    world = world_keypoints(clip)
    text = trc_text(world[0], 25.0, "clip_person4.trc")
    lines = text.split("\n")
    assert lines[0] == "PathFileType\t4\t(X/Y/Z)\tclip_person4.trc"
    assert lines[1] == "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames"
    assert lines[2] == "25\t25\t6\t17\tm\t25\t0\t6"
    assert lines[3].split("\t") == ["Frame#", "Time"] + [cell for name in H36M_JOINT_NAMES for cell in (name, "", "")]
    assert lines[4].split("\t") == ["", ""] + [f"{axis}{i}" for i in range(1, 18) for axis in "XYZ"]
    data = np.array([[float(v) for v in line.split("\t")] for line in lines[5:] if line])
    assert data.shape == (6, 2 + 17 * 3)
    np.testing.assert_array_equal(data[:, 0], np.arange(6))
    np.testing.assert_allclose(data[:, 1], np.arange(6) / 25.0)
    markers = data[:, 2:].reshape(6, 17, 3)
    # Y up in the TRC is the world's z; X is the world's y, Z the world's x (Pose2Sim's z-up → y-up).
    np.testing.assert_allclose(markers, world[0] @ WORLD_TO_TRC.T, atol=5e-7)
    np.testing.assert_allclose(markers[..., 1], world[0][..., 2], atol=5e-7)


def test_world_frame_without_a_trajectory_is_placed_as_the_pipeline_places_it():
    from lifters.world.camera import clip_intrinsics
    from lifters.world.scene import build_scene

    clip = _clip()
    clip.track_ids = clip.track_ids[:1]
    for name in ("keypoints_2d", "scores_2d", "keypoints_3d", "valid"):
        setattr(clip, name, getattr(clip, name)[:1])
    clip.keypoints_3d_world = None  # an npz written before the world stage
    world = world_keypoints(clip)
    scene = build_scene(clip.keypoints_3d, clip.keypoints_2d, clip.scores_2d, clip.valid,
                        clip_intrinsics(clip.image_size), clip.fps)
    np.testing.assert_allclose(world, scene.keypoints_world, atol=1e-6)
    assert world.shape == clip.keypoints_3d.shape and np.isfinite(world).all()
    clip.keypoints_3d_world = np.ones_like(clip.keypoints_3d)
    np.testing.assert_array_equal(world_keypoints(clip), clip.keypoints_3d_world)


def test_write_exports_names_every_file_and_leaves_no_partial_file(tmp_path):
    paths = write_exports(_clip(), tmp_path, "clip", parse_exports("all"))
    assert [path.name for path in paths] == ["clip.html", "clip_person4.bvh", "clip_person9.bvh", "clip.json",
                                             "clip.csv", "clip_person4.trc", "clip_person9.trc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(path.name for path in paths)


def test_exports_from_an_existing_npz(tmp_path, capsys):
    from app.export import save_keypoints

    save_keypoints(tmp_path / "clip_keypoints.npz", _clip())
    assert exports_main([str(tmp_path / "clip_keypoints.npz"), "--export", "json,trc", "--output",
                         str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clip.json", "clip_person4.trc",
                                                                    "clip_person9.trc"]
    assert capsys.readouterr().out.split() == [str(tmp_path / "out" / name) for name in
                                               ("clip.json", "clip_person4.trc", "clip_person9.trc")]
    assert exports_main([str(tmp_path / "missing_keypoints.npz")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'missing_keypoints.npz'}: no such file\n"
    assert exports_main([str(tmp_path / "clip_keypoints.npz"), "--export", "fbx"]) == 2
    assert capsys.readouterr().err.startswith("error: --export: unknown format fbx")


def test_exports_of_a_real_clip_round_trip(exported_clip):
    clip = ClipKeypoints.load(exported_clip / "beep_keypoints.npz")
    document = json.loads((exported_clip / "beep.json").read_text())
    json_3d = np.array([[[joint["xyz"] for joint in frame["people"][0]["joints"].values()]
                         for frame in document["frames"]]])
    np.testing.assert_allclose(json_3d, clip.keypoints_3d, atol=5e-7)
    rows = list(csv.DictReader((exported_clip / "beep.csv").read_text().splitlines()))
    assert len(rows) == clip.num_frames * 17
    csv_2d = np.array([[float(row["x_px"] or 0), float(row["y_px"] or 0)] for row in rows]).reshape(clip.keypoints_2d.shape)
    np.testing.assert_allclose(csv_2d, clip.keypoints_2d, atol=5e-4)
    trc = np.loadtxt(exported_clip / "beep_person0.trc", skiprows=5)
    np.testing.assert_allclose(trc[:, 2:].reshape(-1, 17, 3), world_keypoints(clip)[0] @ WORLD_TO_TRC.T, atol=5e-7)
