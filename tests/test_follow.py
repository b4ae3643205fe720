"""The multi-person 2D stage: YOLO-pose finds people, BlazePose follows each one (``detectors.follow``).

The logic is tested on a scripted scene with a fake detector and a fake landmark model, whose answers are exact;
the real models are tested on frames of the real clips.
"""
from __future__ import annotations

import numpy as np
import pytest

from detectors.base import LEFT_HIP, LEFT_SHOULDER, NUM_COCO_JOINTS, RIGHT_HIP, RIGHT_SHOULDER, FramePoses
from detectors.blazepose_roi import ROI_SCALE, PersonLandmarks, PoseRegion, Silhouette, paint_grey
from detectors.follow import DetectAndFollow, keypoint_box, seed_region
from conftest import SAMPLE_CLIP, SHARED

WIDTH, HEIGHT = 640, 480
# An upright person 100 px tall, hip centre at the origin: head at y = -50, feet at y = +50.
TEMPLATE = np.zeros((NUM_COCO_JOINTS, 2))
TEMPLATE[:5] = [[0, -45], [-3, -47], [3, -47], [-6, -45], [6, -45]]
TEMPLATE[5:11] = [[10, -30], [-10, -30], [14, -15], [-14, -15], [16, 0], [-16, 0]]
TEMPLATE[11:17] = [[7, 0], [-7, 0], [7, 25], [-7, 25], [7, 50], [-7, 50]]


def upright_region(centre) -> PoseRegion:
    return PoseRegion(np.asarray(centre, float), 125.0, 0.0)


class Scene:
    """Scripted people: ``positions[t]`` maps a person's name to their hip centre (px) in frame t. Frames are
    images whose pixels hold (t, x, y). ``hidden[t]`` names people the landmark model cannot see in frame t (behind
    someone: their region shows whoever else is there); ``gone[t]`` people neither model sees; for people in
    ``collapsed[t]`` the landmark model returns a skeleton a tenth of their size around their head (as BlazePose
    does when it slides onto a dancer's head); for people in ``ran_away[t]`` one three times their size around
    them, with a region as large (grown onto the background, as on the sample clip's backflip): from any region in
    the first such frame, later only from a region already that large (one seeded from their detection sees
    them); for people in ``tucked[t]`` the landmark model's skeleton is 0.45 of their size around them (a body
    tucked in a flip) while the detector sees them whole; the detector misses people in ``undetected[t]``."""

    def __init__(self, positions: list[dict[str, tuple[float, float]]], hidden: dict[int, set] | None = None,
                 gone: dict[int, set] | None = None, collapsed: dict[int, set] | None = None,
                 ran_away: dict[int, set] | None = None, tucked: dict[int, set] | None = None,
                 undetected: dict[int, set] | None = None):
        self.positions, self.hidden, self.gone = positions, hidden or {}, gone or {}
        self.collapsed, self.ran_away, self.tucked = collapsed or {}, ran_away or {}, tucked or {}
        self.undetected = undetected or {}
        self.detector_frames: list[int] = []
        self.landmark_calls: list[tuple[int, str | None, list, bool]] = []  # (t, person found, hidden, segmented)
        self.name = "scripted"
        self.image_size = 640  # the fake detector's whole-frame input

    def frames(self) -> list[np.ndarray]:
        """Each pixel holds (t, x, y), so a crop of a frame still tells which frame it is and where it lies."""
        y, x = np.indices((HEIGHT, WIDTH))
        return [np.stack([np.full_like(x, t), x, y], -1).astype(np.uint16) for t in range(len(self.positions))]

    def landmarks(self, centre, size: float = 1.0) -> PersonLandmarks:
        keypoints = (TEMPLATE * size + centre).astype(np.float32)
        return PersonLandmarks(keypoints, np.full(NUM_COCO_JOINTS, 0.9, np.float32),
                               np.zeros((NUM_COCO_JOINTS, 3), np.float32), upright_region(centre))

    # The fake landmark model: the visible person nearest to the region's centre, if within a quarter region.
    def __call__(self, frame, regions, hidden=None, segment=None):
        t = int(frame[0, 0, 0])
        visible = {name: xy for name, xy in self.positions[t].items()
                   if name not in self.hidden.get(t, set()) | self.gone.get(t, set())}
        results = []
        for region in regions:
            distances = {name: np.linalg.norm(np.subtract(xy, region.centre)) for name, xy in visible.items()}
            near = [name for name, distance in distances.items() if distance < region.size / 4]
            name = min(near, key=distances.get) if near else None
            started = name in self.ran_away.get(t, set()) and name not in self.ran_away.get(t - 1, set())
            if name is not None and name in self.ran_away.get(t, set()) and (started or region.size > 250):
                results.append(PersonLandmarks((TEMPLATE * 3 + visible[name]).astype(np.float32),
                                               np.full(NUM_COCO_JOINTS, 0.9, np.float32),
                                               np.zeros((NUM_COCO_JOINTS, 3), np.float32),
                                               upright_region(visible[name]).scaled(3.0)))
            elif name is not None and name in self.collapsed.get(t, set()):
                head = TEMPLATE[0] + visible[name]
                results.append(PersonLandmarks(((TEMPLATE - TEMPLATE[0]) * 0.1 + head).astype(np.float32),
                                               np.full(NUM_COCO_JOINTS, 0.9, np.float32),
                                               np.zeros((NUM_COCO_JOINTS, 3), np.float32), PoseRegion(head, 12.5, 0.0)))
            elif name is not None:
                results.append(self.landmarks(visible[name], 0.45 if name in self.tucked.get(t, set()) else 1.0))
            else:
                results.append(None)
        for index, result in enumerate(results):
            segmented = bool(segment and segment[index])
            if result is not None and segmented:  # their silhouette: a 40 x 100 px block around them
                result.silhouette = Silhouette(np.ones((100, 40), bool), result.keypoints[[11, 12]].mean(0).astype(int)
                                               - [20, 50])
            person = None if result is None else min(visible, key=lambda key: np.linalg.norm(
                np.subtract(visible[key], result.keypoints[[11, 12]].mean(0))))
            self.landmark_calls.append((t, person, list(hidden[index]) if hidden else [], segmented))
        return results

    def close(self):
        pass

    # The fake detector: every person whose hip centre is in the image (hidden ones too: it sees their visible
    # part), in the image's coordinates; ``detector_frames`` records its whole-frame runs.
    def detect_people(self, frames, image_size=None):
        people = []
        for frame in frames:
            t, left, top = (int(value) for value in frame[0, 0])
            height, width = frame.shape[:2]
            if frame.shape[:2] == (HEIGHT, WIDTH):
                self.detector_frames.append(t)
            inside = [np.subtract(xy, (left, top)) for name, xy in self.positions[t].items()
                      if 0 <= xy[0] - left < width and 0 <= xy[1] - top < height
                      and name not in self.gone.get(t, set()) | self.undetected.get(t, set())]
            keypoints = np.array([TEMPLATE + xy for xy in inside], np.float32).reshape(-1, 17, 2)
            people.append(FramePoses(boxes=np.array([keypoint_box(k) for k in keypoints]).reshape(-1, 4),
                                     box_scores=np.full(len(keypoints), 0.9, np.float32), keypoints=keypoints,
                                     scores=np.full(keypoints.shape[:2], 0.9, np.float32)))
        return people


def follow(scene: Scene, **options) -> list[dict[int, np.ndarray]]:
    """Run the stage over the scene → per frame {track id: hip centre px}."""
    stage = DetectAndFollow(scene, scene, **options)
    frames = scene.frames()
    output = stage(frames[:7]) + stage(frames[7:])  # two batches: the state carries over
    return [{int(i): k[[LEFT_HIP, RIGHT_HIP]].mean(0) for i, k in zip(pose.track_ids if pose.track_ids is not None
                                                                       else [], pose.keypoints)}
            for pose in output]


def ids_of(output, name_positions, t) -> dict[str, int]:
    """Which track id sits on each named person in frame t."""
    found = {}
    for name, xy in name_positions[t].items():
        for track_id, centre in output[t].items():
            if np.allclose(centre, xy, atol=1e-3):
                found[name] = track_id
    return found


def ids_of_frame(poses: FramePoses, positions: dict[str, tuple[float, float]]) -> dict[str, int]:
    centres = {int(i): k[[LEFT_HIP, RIGHT_HIP]].mean(0) for i, k in zip(poses.track_ids, poses.keypoints)}
    return ids_of([centres], [positions], 0)


def test_people_are_followed_between_detections_with_stable_ids():
    positions = [{"a": (100 + 4 * t, 200), "b": (500 - 3 * t, 300)} for t in range(25)]
    scene = Scene(positions)
    output = follow(scene, detect_every=10)
    assert scene.detector_frames == [0, 10, 20]  # nobody lost: the detector runs every 10 frames
    for t in range(25):
        assert ids_of(output, positions, t) == {"a": 0, "b": 1} or ids_of(output, positions, t) == {"a": 1, "b": 0}
        assert len(output[t]) == 2
    assert ids_of(output, positions, 0) == ids_of(output, positions, 24)


def test_someone_entering_is_found_at_the_next_detection():
    positions = [{"a": (100, 200)} | ({"b": (400, 300)} if t >= 3 else {}) for t in range(15)]
    output = follow(Scene(positions), detect_every=5)
    assert [len(frame) for frame in output] == [1] * 5 + [2] * 10  # b is picked up at frame 5


def test_a_person_behind_someone_is_held_by_the_detector_with_their_id():
    # b walks behind a (who stands still at x = 300, 10 px lower) in frames 8-12: the landmark model sees only a
    # there (its region for b slides onto a), the detector still sees b's visible part.
    positions = [{"a": (300, 250), "b": (200 + 10 * t, 240)} for t in range(24)]
    scene = Scene(positions, hidden={t: {"b"} for t in range(8, 13)})
    stage = DetectAndFollow(scene, scene, detect_every=20)
    output = stage(scene.frames())
    ids = [ids_of_frame(poses, positions[t]) for t, poses in enumerate(output)]
    assert all(frame_ids == ids[0] for frame_ids in ids) and set(ids[0]) == {"a", "b"}  # nobody lost, no swap
    for t, poses in enumerate(output):
        from_detector = np.isnan(poses.world_keypoints).all(axis=(1, 2))
        assert list(poses.track_ids[from_detector]) == ([ids[0]["b"]] if 8 <= t <= 12 else []), t
    assert scene.detector_frames == [0, 20]


def test_someone_lost_inside_the_picture_gets_their_id_back():
    # b is fully hidden (from both models) in frames 8-12, then walks on.
    positions = [{"a": (100, 250), "b": (200 + 10 * t, 250)} for t in range(24)]
    scene = Scene(positions, gone={t: {"b"} for t in range(8, 13)})
    output = follow(scene, detect_every=20)
    before, after = ids_of(output, positions, 5), ids_of(output, positions, 20)
    assert before == after and set(before) == {"a", "b"}
    assert [len(frame) for frame in output[7:14]] == [2, 1, 1, 1, 1, 1, 2]
    # While b is lost inside the picture the whole-frame detector runs every other frame, and the detector looks
    # near where b should be on every frame: that finds b again as soon as b is back, at 13.
    assert scene.detector_frames == [0, 8, 10, 12]


def test_a_skeleton_collapsed_onto_the_head_is_not_the_person():
    # In frames 8-10 the landmark model shrinks a onto her head: the detector holds her place meanwhile, and she
    # stays one person with one id (not a head-sized "person" and a new one for her body).
    positions = [{"a": (300, 250)} for t in range(24)]
    scene = Scene(positions, collapsed={t: {"a"} for t in range(8, 11)})
    output = DetectAndFollow(scene, scene, detect_every=20)(scene.frames())
    assert all(list(poses.track_ids) == [0] for poses in output)
    for t, poses in enumerate(output):
        size = np.ptp(poses.keypoints[0], axis=0).max()
        assert size == pytest.approx(97.0), t  # her whole body (the template is 97 px tall) in every frame
        assert np.isnan(poses.world_keypoints[0]).all() == (8 <= t <= 10), t  # the detector's keypoints there


def test_a_skeleton_that_ran_away_from_its_person_is_put_back_on_them():
    # From frame 5 the landmark model's skeleton for a grows onto the background (three times her size, around
    # her). Grown past twice her size at her last detection, it calls the whole-frame detector every other frame
    # (not only at the scheduled frame 10), which sees her at her own size inside it: from 7 (at 5, the first
    # such frame, every region gives the large skeleton) she is seated on the detected body again, with her id,
    # not followed as the large skeleton beside a new person.
    positions = [{"a": (300, 250)} for t in range(24)]
    scene = Scene(positions, ran_away={t: {"a"} for t in range(5, 24)})
    output = DetectAndFollow(scene, scene, detect_every=10)(scene.frames())
    assert all(list(poses.track_ids) == [0] for poses in output)
    sizes = [float(np.ptp(poses.keypoints[0], axis=0).max()) for poses in output]
    assert sizes == [97.0] * 5 + [291.0] * 2 + [97.0] * 17
    assert scene.detector_frames == [0, 5, 7, 17]


def test_a_grown_skeleton_the_detector_does_not_see_calls_it_for_detect_every_frames_only():
    # a's skeleton grows onto the background at frame 5 and the detector misses her from then on: it is called
    # every other frame for 10 frames (to 15), then on its schedule again (every 10 frames from its last run).
    positions = [{"a": (300, 250)} for t in range(40)]
    scene = Scene(positions, ran_away={t: {"a"} for t in range(5, 40)}, undetected={t: {"a"} for t in range(5, 40)})
    DetectAndFollow(scene, scene, detect_every=10)(scene.frames())
    assert scene.detector_frames == [0, 5, 7, 9, 11, 13, 15, 25, 35]


def test_a_tucked_body_is_put_back_on_by_the_size_of_its_detection():
    # As above, but from frame 5 a is tucked (a flip): the landmark model gives her 0.45 of her size, also from
    # the region of her detection, which is her whole size. The detection, not the tucked skeleton seeded from
    # it, is what must be about her size at her last detection.
    positions = [{"a": (300, 250)} for t in range(12)]
    scene = Scene(positions, ran_away={t: {"a"} for t in range(5, 12)}, tucked={t: {"a"} for t in range(5, 12)})
    output = DetectAndFollow(scene, scene, detect_every=10)(scene.frames())
    assert all(list(poses.track_ids) == [0] for poses in output)
    sizes = [round(float(np.ptp(poses.keypoints[0], axis=0).max()), 2) for poses in output]
    assert sizes == [97.0] * 5 + [291.0] * 2 + [43.65] * 5


def test_someone_leaving_through_the_border_is_not_confused_with_a_newcomer():
    # a walks out at the left border at frame 6; c walks in at the same place at frame 9.
    positions = [({"a": (60 - 10 * t, 200)} if t < 6 else {}) | ({"c": (20, 200)} if t >= 9 else {})
                 for t in range(15)]
    scene = Scene(positions)
    output = follow(scene, detect_every=1)
    assert ids_of(output, positions, 0) == {"a": 0}
    assert ids_of(output, positions, 12) == {"c": 1}


def test_at_most_max_followed_people_the_largest_first():
    positions = [{name: (80 + 120 * index, 240) for index, name in enumerate("abcde")} for _ in range(5)]
    output = follow(Scene(positions), max_followed=3)
    assert all(len(frame) == 3 for frame in output)


def test_the_person_behind_is_hidden_from_the_nearer_ones_region_only():
    # a stands nearer (feet 30 px lower in the picture) and 40 px beside b: their boxes overlap. b's silhouette (a
    # 40 x 100 px block, x 320-360, y 150-250) covers none of a's joints. c is far away.
    positions = [{"a": (300, 230), "b": (340, 200), "c": (560, 200)} for _ in range(4)]
    scene = Scene(positions)
    follow(scene, detect_every=10)
    calls = {(t, person): (hidden, segmented) for t, person, hidden, segmented in scene.landmark_calls if t >= 1}
    assert calls[1, "a"] == ([], False)  # b is first segmented in frame 1 (seeded people have no silhouette)
    for t in (1, 2, 3):
        hidden, segmented = calls[t, "a"]
        assert segmented is False and [tuple(silhouette.offset) for silhouette in hidden] == [(320, 150)] * (t > 1)
        assert calls[t, "b"] == ([], True)  # a hides b: a stays in b's region
        assert calls[t, "c"] == ([], False)


def test_a_silhouette_over_most_of_the_nearer_ones_joints_is_their_own_body():
    # b stands 20 px higher and only 10 px beside a: b's block (x 290-330, y 180-280) covers most of a's joints (a
    # second skeleton on one body), so nothing is hidden from a.
    positions = [{"a": (300, 230), "b": (310, 210)} for _ in range(4)]
    scene = Scene(positions)
    follow(scene, detect_every=10)
    assert all(hidden == [] for t, person, hidden, _ in scene.landmark_calls if person == "a")
    assert any(segmented for t, person, _, segmented in scene.landmark_calls if person == "b")


def test_painting_a_silhouette_grey_by_hand():
    crop = np.zeros((4, 5, 3), np.uint8)  # its top-left pixel at x = 10, y = 20 of the frame
    mask = np.zeros((3, 3), bool)  # its top-left pixel at x = 13, y = 19: it covers x 13-15, y 19-21
    mask[1, 0] = mask[2, 1] = mask[2, 2] = mask[0, 0] = True  # frame pixels (13, 20), (14, 21), (15, 21); (13, 19)
    paint_grey(crop, np.array([10, 20]), [Silhouette(mask, np.array([13, 19]))])
    painted = {(int(x) + 10, int(y) + 20) for y, x in zip(*np.nonzero(crop[..., 0]))}
    assert painted == {(13, 20), (14, 21)}  # (15, 21) lies outside the crop's x 10-14, (13, 19) above its y 20-23
    assert (crop[crop > 0] == 127).all()


def test_seed_region_by_hand():
    upright = TEMPLATE + [300, 200]
    region = seed_region(keypoint_box(upright), upright, np.ones(NUM_COCO_JOINTS))
    np.testing.assert_allclose(region.centre, [300, 200])  # the hip centre
    assert region.rotation == pytest.approx(0.0)
    # The farthest confident keypoint is an ankle, hypot(7, 50) px from the hips; 1.2 × that is the circle radius.
    assert region.size == pytest.approx(ROI_SCALE * 1.2 * np.hypot(7, 50))
    upside_down = 2 * np.array([300, 200]) - upright  # rotated by 180° about the hips
    assert abs(seed_region(keypoint_box(upside_down), upside_down, np.ones(17)).rotation) == pytest.approx(np.pi)
    # Trunk keypoints not confident: the box centre, upright, the box's half diagonal as radius.
    scores = np.ones(NUM_COCO_JOINTS)
    scores[[LEFT_SHOULDER, RIGHT_SHOULDER]] = 0.1
    box = np.array([100.0, 100.0, 160.0, 180.0])
    region = seed_region(box, upright, scores)
    np.testing.assert_allclose(region.centre, [130, 140])
    assert region.rotation == pytest.approx(0.0) and region.size == pytest.approx(ROI_SCALE * 50)


@pytest.mark.parametrize("vector, expected", [((0, -1), 0.0), ((1, 0), np.pi / 2), ((-1, 0), -np.pi / 2),
                                              ((0, 1), -np.pi)])
def test_region_rotation_follows_mediapipe(vector, expected):
    # MediaPipe's AlignmentPointsRectsCalculator: rotation = 90° − atan2(−dy, dx), wrapped to [−π, π).
    region = PoseRegion.from_alignment_points(np.array([10.0, 10.0]), np.array([10.0, 10.0]) + vector)
    assert region.rotation == pytest.approx(expected)
    assert region.size == pytest.approx(ROI_SCALE)


def read_frames(path, first: int, count: int) -> list[np.ndarray]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    frames = [capture.read()[1] for _ in range(count)]
    capture.release()
    assert all(frame is not None for frame in frames)
    return frames


def hips(poses: FramePoses) -> dict[int, np.ndarray]:
    return {int(i): k[[LEFT_HIP, RIGHT_HIP]].mean(0) for i, k in zip(poses.track_ids, poses.keypoints)}


def test_the_man_and_the_woman_of_the_sample_clip_are_two_people():
    from detectors.api import build_pose_estimator

    stage = build_pose_estimator("auto", "auto", device="cpu")
    try:
        output = stage(read_frames(SAMPLE_CLIP, 0, 50))
    finally:
        stage.close()
    man = hips(output[0])
    assert len(man) == 1  # only the man on the roof at the start
    (man_id, start), = man.items()
    assert 450 < start[0] < 750 and start[1] < 450
    for t, poses in enumerate(output):
        people = hips(poses)
        assert people[man_id][1] < 450, t  # always on the roof, never the woman in the foreground
        others = [xy for track_id, xy in people.items() if track_id != man_id]
        assert len(others) == (1 if t >= 40 else 0), t  # she walks in and is picked up by the detector at 40
        assert all(xy[1] > 600 for xy in others), t


VTEST = SHARED / "media" / "vtest.avi"
# Hip centres of the six walkers in vtest.avi frame 300, marked by hand (px); they are about 60 px tall.
VTEST_300_PEOPLE = np.array([[202, 197], [253, 190], [310, 197], [331, 256], [596, 197], [630, 196]])


@pytest.mark.skipif(not VTEST.exists(), reason="../shared/media/vtest.avi not available")
def test_small_walkers_of_vtest_are_found_and_followed():
    from detectors.api import build_pose_estimator

    stage = build_pose_estimator("auto", "auto", device="cpu")
    try:
        output = stage(read_frames(VTEST, 290, 11))  # detector at 290, following to 300
    finally:
        stage.close()
    people = hips(output[-1])
    on = [int(np.argmin(np.linalg.norm(VTEST_300_PEOPLE - xy, axis=1))) for xy in people.values()]
    distances = [np.linalg.norm(VTEST_300_PEOPLE[walker] - xy) for walker, xy in zip(on, people.values())]
    assert len(people) >= 5 and len(set(on)) == len(on)  # at least five walkers, each one skeleton
    assert max(distances) < 15


EVAL_SET = SHARED / "eval-dev" / "pose2sim_multi.npz"


@pytest.mark.skipif(not EVAL_SET.exists(), reason="../shared/eval-dev not available")
def test_the_man_in_front_of_the_woman_keeps_his_own_limbs():
    """cam03 of the eval set: the man, seen from behind, stands in front of the woman. Unmasked, his region takes
    her limbs for his (56.5 px mean limb error against the ground truth's reprojection, median 45.5); with her
    silhouette hidden from his region, 28.6 px (median 17.6)."""
    from detectors.api import build_pose_estimator
    from lifters.skeleton import coco_to_h36m

    ground_truth = np.load(EVAL_SET)["gt_kp2d"][2, 0]  # cam03, the man: (T, 17, 2) H36M-17 px
    stage = build_pose_estimator("auto", "auto", device="cpu")
    try:
        output = stage(read_frames(SHARED / "eval-dev" / "media" / "cam03.mp4", 0, 100))
    finally:
        stage.close()
    limbs = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    swapped = [4, 5, 6, 1, 2, 3, 14, 15, 16, 11, 12, 13]  # left and right the other way round
    errors = []
    for truth, poses in zip(ground_truth, output):
        if not np.isfinite(truth[0]).all():
            continue  # frames 0-2 have no ground truth for him
        people = [coco_to_h36m(keypoints, scores)[0] for keypoints, scores in zip(poses.keypoints, poses.scores)]
        him = min(people, key=lambda h36m: np.linalg.norm(h36m[0] - truth[0]))
        errors.append(min(np.nanmean(np.linalg.norm(him[order] - truth[limbs], axis=1)) for order in (limbs, swapped)))
    assert len(errors) == 96
    assert np.mean(errors) < 35


def test_background_detection_is_used_a_fixed_number_of_frames_later():
    from detectors.background_detection import BackgroundDetectAndFollow

    positions = [{"a": (100 + 2 * t, 200)} | ({"b": (400, 300)} if t >= 3 else {}) for t in range(16)]
    scene = Scene(positions)
    stage = BackgroundDetectAndFollow(scene, scene, detect_every=5)
    stage.result_delay = 2
    try:
        output = [stage([frame])[0] for frame in scene.frames()]
    finally:
        stage.close()
    # Detections run on frames 0, 5, 10, 15; each is used 2 frames later: a from frame 2, b (there from frame 3,
    # detected on frame 5) from frame 7, each seeded on the frame where the detection is used.
    assert scene.detector_frames == [0, 5, 10, 15]
    assert [len(poses) for poses in output] == [0, 0] + [1] * 5 + [2] * 9
    assert ids_of_frame(output[2], positions[2]) == {"a": 0}
    assert ids_of_frame(output[7], positions[7]) == {"a": 0, "b": 1}
    assert ids_of_frame(output[15], positions[15]) == {"a": 0, "b": 1}
