"""The metric world (lifters.world): each step on hand-computed cases, then a synthetic scene with a known camera
(a known 3D motion projected to 2D, recovered)."""
import struct

import numpy as np
import pytest

from lifters.skeleton import H36M_BONES
from lifters.world.camera import FOCAL_PRIOR_35MM, Intrinsics, clip_intrinsics, read_focal_35mm
from lifters.world.contact import (CONTACT_SPEED, _two_bone, detect_contacts, foot_sliding, foot_speeds,
                                   pin_contacts, place_feet, runs)
from lifters.world.frame import camera_to_world, world_rotation, world_to_camera
from lifters.world.ground import FLOOR_WEIGHT, floor_support, person_scales, refine_up
from lifters.world.root_fit import fit_roots, smooth_roots
from lifters.world.scene import build_scene
from lifters.world.upright import SEGMENTS, centre_of_mass, estimate_up
from world_fixtures import STANDING, SyntheticCamera, observe, rotation_about, stander, walker

CAMERA = Intrinsics(1000.0, (640.0, 360.0), "given")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _quicktime_with_focal(value: bytes, type_indicator: int) -> bytes:
    """A minimal MOV: ftyp, then moov/meta with Apple's keys and one item holding ``value``."""
    key = b"com.apple.quicktime.camera.focal_length.35mm_equivalent"
    keys = _box(b"keys", struct.pack(">II", 0, 2) + _box(b"mdta", b"com.apple.quicktime.make")
                + _box(b"mdta", key))
    items = _box(b"ilst", _box(struct.pack(">I", 1), _box(b"data", struct.pack(">II", 1, 0) + b"Apple"))
                 + _box(struct.pack(">I", 2), _box(b"data", struct.pack(">II", type_indicator, 0) + value)))
    meta = _box(b"meta", _box(b"hdlr", bytes(24)) + keys + items)
    return _box(b"ftyp", b"qt  " + bytes(4)) + _box(b"mdat", bytes(100)) + _box(b"moov", _box(b"mvhd", bytes(100))
                                                                                 + meta)


def test_focal_length_given_then_metadata_then_prior(tmp_path):
    assert clip_intrinsics((1920, 1080), focal_px=1234.0) == Intrinsics(1234.0, (960.0, 540.0), "given")
    prior = clip_intrinsics((1088, 1920))
    assert prior.source == "prior" and prior.focal_px == pytest.approx(FOCAL_PRIOR_35MM / 36 * 1920)
    video = tmp_path / "phone.mov"
    video.write_bytes(_quicktime_with_focal(struct.pack(">i", 26), 21))  # signed integer 26 (mm)
    assert read_focal_35mm(video) == 26.0
    from_metadata = clip_intrinsics((1920, 1080), video=video)
    # 35 mm-equivalent focal lengths refer to the 36 x 24 mm frame's diagonal (43.27 mm).
    assert from_metadata.source == "metadata"
    assert from_metadata.focal_px == pytest.approx(26 / np.hypot(36, 24) * np.hypot(1920, 1080))
    video.write_bytes(_quicktime_with_focal(struct.pack(">f", 28.5), 23))  # a float32
    assert read_focal_35mm(video) == pytest.approx(28.5)
    (tmp_path / "junk.mp4").write_bytes(b"\x00\x00\x00\x08junkjunk" * 3)
    assert read_focal_35mm(tmp_path / "junk.mp4") is None
    assert clip_intrinsics((640, 480), video=tmp_path / "missing.mp4").source == "prior"


def test_intrinsics_project_and_normalise_are_inverse():
    points = np.array([[0.5, -0.2, 4.0], [-1.0, 0.3, 2.0]])
    pixels = CAMERA.project(points)
    np.testing.assert_allclose(pixels[0], [640 + 125, 360 - 50])
    np.testing.assert_allclose(CAMERA.normalized(pixels), points[:, :2] / points[:, 2:])
    np.testing.assert_allclose(CAMERA.matrix(), [[1000, 0, 640], [0, 1000, 360], [0, 0, 1]])


def _camera_pose(root=(0.3, 0.1, 4.0)):
    pose = (STANDING - STANDING[0]) * np.array([1, -1, 1])  # a z-up pose → camera-like axes (y down)
    pose = pose[:, [0, 2, 1]] * np.array([1, -1, 1])
    return pose, np.array(root)


def test_root_fit_recovers_the_root_and_ignores_one_wild_joint():
    pose, root = _camera_pose()
    pixels = CAMERA.project(pose + root)
    fitted = fit_roots(pose[None], pixels[None], np.ones((1, 17)), CAMERA)
    np.testing.assert_allclose(fitted[0], root, atol=1e-6)
    wild = pixels.copy()
    wild[13] += [250.0, -180.0]  # one wrist far off (a detector mistake)
    fitted = fit_roots(pose[None], wild[None], np.ones((1, 17)), CAMERA)
    assert np.linalg.norm(fitted[0] - root) < 0.03  # 3 cm at 4 m; least squares alone is off by ~0.3 m
    # Joints with zero confidence do not count.
    weights = np.ones((1, 17))
    weights[0, 13] = 0
    np.testing.assert_allclose(fit_roots(pose[None], wild[None], weights, CAMERA)[0], root, atol=1e-6)


def test_root_smoothing_keeps_steady_motion_and_bridges_gaps():
    frames = np.arange(60)
    roots = np.column_stack([-1 + 0.02 * frames, np.full(60, 0.5), np.full(60, 4.0)])  # walking sideways
    valid = np.ones(60, bool)
    valid[20:35] = False
    noisy = roots.copy()
    noisy[~valid] = np.nan
    smooth = smooth_roots(np.nan_to_num(noisy), valid, fps=30)
    # Constant depth and image speed: x/z is linear, so zero-phase smoothing and the gap's interpolation keep it.
    np.testing.assert_allclose(smooth, roots, atol=1e-6)


def test_centre_of_mass_uses_dempster_fractions():
    assert sum(mass for *_, mass, _ in SEGMENTS) == pytest.approx(1.0)
    pose = np.zeros((17, 3))
    pose[[8, 9]] = [0, 0, 1.0]  # everything at the origin except the head and neck at z = 1 (its 8.1 %)
    np.testing.assert_allclose(centre_of_mass(pose), [0, 0, 0.081 + 0.497 * 0.5], atol=1e-12)


def test_up_comes_from_the_standing_direction_in_any_camera():
    turn = rotation_about([1.0, 0.3, 0.2], np.radians(25))
    pose = (STANDING - STANDING[0]) @ turn.T
    poses = np.repeat(pose[None, None], 10, 1)
    # Both ankles at one height: the support is their middle; the fixture's centre of mass is 1.6 mm off its axis.
    support_to_mass = centre_of_mass(STANDING) - STANDING[[3, 6]].mean(0)
    expected = turn @ (support_to_mass / np.linalg.norm(support_to_mass))
    np.testing.assert_allclose(estimate_up(poses, np.ones((1, 10), bool)), expected, atol=1e-9)
    assert np.degrees(np.arccos(expected @ turn @ [0, 0, 1.0])) < 0.2


def test_world_rotation_is_upright_and_keeps_the_camera_looking_forward():
    up = np.array([0.1, -0.9, -0.4]) / np.linalg.norm([0.1, -0.9, -0.4])
    rotation = world_rotation(up)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    np.testing.assert_allclose(rotation @ up, [0, 0, 1], atol=1e-12)
    forward = rotation @ [0, 0, 1.0]
    assert forward[1] > 0.9 and abs(forward[0]) < 1e-12  # the optical axis points along +y, pitched down
    assert forward[2] < 0 and (rotation @ [1.0, 0, 0])[0] > 0.99  # image right ≈ world x
    points = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(world_to_camera(camera_to_world(points, rotation, 1.7), rotation, 1.7), points)
    np.testing.assert_allclose(camera_to_world(np.zeros(3), rotation, 1.7), [0, 0, 1.7])


def test_foot_speed_and_contacts():
    ankles = np.zeros((30, 2, 2))
    ankles[:, 1, 0] = np.arange(30) * 5.0  # the left ankle moves 5 px per frame
    speeds = foot_speeds(ankles, np.full(30, 4.0), CAMERA, fps=30)
    np.testing.assert_allclose(speeds[5:-5, 0], 0, atol=1e-9)
    np.testing.assert_allclose(speeds[5:-5, 1], 5 * 4.0 / 1000 * 30, rtol=1e-6)  # 0.6 m/s across the view
    poses = np.zeros((3, 17, 3))
    poses[:, 6, 2] = [0.0, 0.04, 0.2]  # left ankle 0, 4 and 20 cm above the right
    still = np.zeros((3, 2))
    contacts = detect_contacts(poses, still, np.ones(3, bool), up=np.array([0, 0, 1.0]))
    np.testing.assert_array_equal(contacts, [[True, True], [True, True], [True, False]])
    moving = np.full((3, 2), CONTACT_SPEED + 0.1)
    assert not detect_contacts(poses, moving, np.ones(3, bool), np.array([0, 0, 1.0])).any()
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]


def test_foot_sliding_by_hand():
    feet = np.zeros((4, 2, 3))
    feet[:, 0, 0] = [0.0, 0.01, 0.03, 0.10]  # right foot: 1, 2 and 7 cm per frame
    feet[:, 1, 2] = [0.0, 0.5, 1.0, 1.5]     # left foot only rises: no horizontal sliding
    contacts = np.array([[1, 1], [1, 1], [1, 1], [0, 1]], bool)
    # Held frames: right 1→2, 2→3 (1 and 2 cm), left three times 0 cm.
    assert foot_sliding(feet, contacts) == pytest.approx((1 + 2 + 0 + 0 + 0) / 5)


def test_pinning_holds_planted_feet_and_leaves_a_jump_its_arc():
    frames = 40
    rng = np.random.default_rng(1)
    poses = np.repeat((STANDING - STANDING[0])[None], frames, 0)
    roots = np.zeros((frames, 3))
    roots[:, 0] = rng.normal(0, 0.01, frames)  # 1 cm of jitter of the whole body
    roots[15:25, 2] = np.sin(np.linspace(0, np.pi, 10)) * 0.4  # a jump
    poses[:, [3, 6], 1] += rng.normal(0, 0.01, (frames, 2))  # and of each foot on its own
    feet = poses[:, [3, 6]] + roots[:, None]
    anchors = [(foot, start, stop, np.array([-0.12 + 0.24 * foot, 0, -0.88]))
               for foot in (0, 1) for start, stop in ((0, 15), (25, 40))]
    pinned = pin_contacts(roots, feet, anchors, fps=30)
    held = np.r_[2:13, 27:38]  # away from the blends at the stretches' ends
    assert np.std(pinned[held, 0]) < 0.8 * np.std(roots[held, 0])  # some shared jitter goes (the rest: below)
    assert pinned[20, 2] > 0.35  # still in the air mid-jump
    placed = place_feet(poses + pinned[:, None], anchors, fps=30)
    np.testing.assert_allclose(placed[held][:, [3, 6]], np.broadcast_to([[-0.12, 0, -0.88], [0.12, 0, -0.88]],
                                                                        (len(held), 2, 3)), atol=1e-6)
    np.testing.assert_allclose(placed[18:22], poses[18:22] + pinned[18:22, None])  # in the air: untouched


def test_two_bone_ik_keeps_bone_lengths_and_reaches():
    hip, knee, ankle = np.array([[0, 0, 0.9]]), np.array([[0, 0.05, 0.47]]), np.array([[0, 0, 0.05]])
    target = np.array([[0.1, 0.05, 0.1]])
    new_knee, new_ankle = _two_bone(hip, knee, ankle, target)
    np.testing.assert_allclose(new_ankle, target, atol=1e-9)
    for a, b, c, d in ((hip, knee, hip, new_knee), (knee, ankle, new_knee, new_ankle)):
        assert np.linalg.norm(b - a) == pytest.approx(np.linalg.norm(d - c))
    assert new_knee[0, 1] > 0  # bends the same way as before


def test_floor_is_the_level_shared_by_most_people_and_sizes_shrink_towards_the_highest():
    # Distances below the camera: people 0 and 1 on the floor (1.6 and 1.8 m), person 2 on a roof (0.1 m).
    below = np.array([1.6, 1.62, 1.8, 1.79, 0.1, 0.12, 0.1])
    person = np.array([0, 0, 1, 1, 2, 2, 2])
    on_floor, levels = floor_support(below, person, 3)
    np.testing.assert_array_equal(on_floor, [1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(levels, [1.61, 1.795, np.nan])
    np.testing.assert_allclose(person_scales(levels), [1.0, (1.61 / 1.795) ** FLOOR_WEIGHT, 1.0])
    np.testing.assert_allclose(person_scales(np.array([np.nan])), [1.0])


def test_up_refinement_follows_a_walk_in_depth_not_a_standing_person():
    camera = SyntheticCamera(pitch=np.radians(15), roll=0.0)
    walk, contacts = walker(60, 30.0, np.array([0.0, 8.0]), np.array([0.0, -1.5]))
    points = camera.to_camera(walk[contacts[:, 0], 3])  # the right foot's footprints, spread 3 m in depth
    wrong = camera.up + np.array([0.0, 0.0, 0.15])
    wrong /= np.linalg.norm(wrong)
    refined = refine_up(points, np.zeros(len(points), int), wrong, np.radians(8))
    assert np.degrees(np.arccos(refined @ camera.up)) < 0.3
    standing = camera.to_camera(np.repeat(STANDING[None, 3], 12, 0))  # one spot: no information
    same = refine_up(standing, np.zeros(12, int), wrong, np.radians(8))
    np.testing.assert_allclose(same, wrong, atol=1e-9)


@pytest.fixture(scope="module")
def synthetic_scene():
    """A walker crossing the view towards the camera and a person standing, seen by a pitched, rolled camera."""
    camera = SyntheticCamera(pitch=np.radians(12), roll=np.radians(4), height=1.6)
    walk, walk_contacts = walker(90, 30.0, np.array([-0.6, 7.0]), np.array([0.3, -1.0]))
    world = np.stack([walk, stander(90, np.array([0.8, 4.0]), 0.3)])
    poses, keypoints_2d, scores, valid, roots = observe(camera, world)
    valid[1, 30:50] = False  # the standing person is hidden for a while
    keypoints_2d[1, 30:50] = 0
    scores[1, 30:50] = 0
    scene = build_scene(poses, keypoints_2d, scores, valid, camera.intrinsics, 30.0)
    return camera, world, walk_contacts, roots, scene


def test_synthetic_scene_shapes_and_units(synthetic_scene):
    _, world, _, _, scene = synthetic_scene
    assert scene.root_camera.shape == (2, 90, 3) and scene.root_camera.dtype == np.float32
    assert scene.keypoints_camera.shape == scene.keypoints_world.shape == (2, 90, 17, 3)
    assert scene.contacts.shape == (2, 90, 2) and scene.contacts.dtype == bool
    # Metres: the bones keep their lengths (the feet are bent back into place, so compare the upper body).
    for parent, child in H36M_BONES[6:]:
        lengths = np.linalg.norm(scene.keypoints_world[:, :, child] - scene.keypoints_world[:, :, parent], axis=-1)
        true = np.linalg.norm(world[:, :, child] - world[:, :, parent], axis=-1)
        np.testing.assert_allclose(lengths, true, rtol=1e-3)
    np.testing.assert_allclose(scene.world_from_camera()[:3, :3], scene.rotation)
    np.testing.assert_allclose(scene.keypoints_camera[..., 0, :], scene.root_camera, atol=1e-6)


def test_synthetic_scene_recovers_the_camera_and_the_motion(synthetic_scene):
    camera, world, walk_contacts, roots, scene = synthetic_scene
    assert np.degrees(np.arccos(scene.up @ camera.up)) < 0.2
    assert scene.camera_height == pytest.approx(1.6, abs=0.01)
    np.testing.assert_allclose(scene.person_scale, 1.0, atol=0.005)
    # Roots in the camera frame within 2 cm, the hidden stretch included (the person stood still).
    assert np.abs(scene.root_camera - roots).max() < 0.02
    # The world: true positions up to a turn about the vertical (the world's x follows the camera's right).
    np.testing.assert_allclose(scene.keypoints_world[..., 2], world[..., 2], atol=0.02)
    walked = scene.keypoints_world[0, -1, 0, :2] - scene.keypoints_world[0, 0, 0, :2]
    assert np.linalg.norm(walked) == pytest.approx(np.linalg.norm(world[0, -1, 0, :2] - world[0, 0, 0, :2]),
                                                   abs=0.02)
    assert (scene.contacts[0] == walk_contacts).mean() > 0.9
    assert [points.shape for points in scene.raised_support] == [(0, 3), (0, 3)]  # everyone is on the floor


def test_feet_do_not_slide_with_the_contact_step_on_noisy_depth():
    camera = SyntheticCamera(pitch=np.radians(12), roll=np.radians(4))
    world = stander(60, np.array([0.2, 4.0]))[None]
    poses, keypoints_2d, scores, valid, _ = observe(camera, world)
    keypoints_2d = keypoints_2d + np.random.default_rng(2).normal(0, 1.5, keypoints_2d.shape)  # 2D noise
    pinned = build_scene(poses, keypoints_2d, scores, valid, camera.intrinsics, 30.0)
    free = build_scene(poses, keypoints_2d, scores, valid, camera.intrinsics, 30.0, pin_feet=False)
    feet = [3, 6]
    before = foot_sliding(free.keypoints_world[0][:, feet], pinned.contacts[0])
    after = foot_sliding(pinned.keypoints_world[0][:, feet], pinned.contacts[0])
    assert pinned.contacts[0].mean() > 0.9 and after < before / 2
    # Standing on the floor: the ankles at their height above it (0.159 shank lengths, 7 cm here).
    np.testing.assert_allclose(pinned.keypoints_world[0][:, feet, 2], 0.068, atol=0.005)


def test_a_clip_of_one_frame_and_a_person_who_never_stands():
    camera = SyntheticCamera()
    world = stander(1, np.array([0.0, 4.0]))[None]
    scene = build_scene(*observe(camera, world)[:4], camera.intrinsics, 30.0)
    assert np.isfinite(scene.keypoints_world).all() and scene.keypoints_world.shape == (1, 1, 17, 3)
    # Feet always moving fast in the 2D: no contact, no floor; the floor is then guessed below the hips.
    world = stander(30, np.array([0.0, 4.0]))[None]
    poses, keypoints_2d, scores, valid, _ = observe(camera, world)
    keypoints_2d[0, :, 3, 0] += np.arange(30) * 40.0  # ankles racing sideways in the image
    keypoints_2d[0, :, 6, 0] += np.arange(30) * 40.0
    scene = build_scene(poses, keypoints_2d, scores, valid, camera.intrinsics, 30.0)
    assert not scene.contacts.any() and not scene.on_floor.any()
    assert scene.camera_height == pytest.approx(1.6, abs=0.15)  # the hips' height from the shank: about right


def test_hampel_replaces_a_depth_excursion_and_keeps_a_ramp():
    from lifters.world.root_fit import hampel
    ramp = np.linspace(1.0, 2.0, 40)
    np.testing.assert_array_equal(hampel(ramp, 7), ramp)
    spiky = ramp.copy()
    spiky[20:23] += 0.8  # three frames of a badly lifted pose
    np.testing.assert_allclose(hampel(spiky, 7), ramp, atol=0.1)  # the running median, a few steps off at most


def test_someone_on_a_roof_keeps_their_size_and_stands_on_it():
    camera = SyntheticCamera(pitch=np.radians(15), roll=0.0, height=2.0)
    roof = stander(40, np.array([-1.0, 7.0])) + np.array([0.0, 0.0, 1.5])
    world = np.stack([roof, stander(40, np.array([1.0, 4.0])), stander(40, np.array([0.0, 5.0]), 1.0)])
    scene = build_scene(*observe(camera, world)[:4], camera.intrinsics, 30.0)
    np.testing.assert_array_equal(scene.on_floor, [False, True, True])
    np.testing.assert_allclose(scene.person_scale, 1.0, atol=0.01)
    assert scene.camera_height == pytest.approx(2.0, abs=0.03)
    np.testing.assert_allclose(scene.keypoints_world[:, :, [3, 6], 2].mean(axis=(1, 2)), [1.57, 0.07, 0.07],
                               atol=0.02)
    assert [len(points) for points in scene.raised_support] == [2, 0, 0]  # his two feet, one stretch each
    np.testing.assert_allclose(scene.raised_support[0][:, 2], 1.5, atol=0.02)
