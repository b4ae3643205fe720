"""The multi-person 2D stage: a person detector finds people now and then; BlazePose follows each of them in between.

Per frame:
1. every followed person's region (from their previous frame's landmarks) goes through BlazePose's landmark model
   (``detectors.blazepose_roi``). Fast motion (a jump, a flip) carries the body out of the expected region, so a
   person BlazePose misses, or finds shrunk to a fraction of their size (``COLLAPSE_RATIO``: it slid onto the head),
   is looked for again in a region ``RETRY_SCALE`` times larger. Where two people's boxes overlap, the one farther
   away is segmented by BlazePose and their silhouette (from their last frame) is painted grey in the nearer one's
   region first, unless it covers most of the nearer one's joints (``OWN_BODY_COVERED``): unmasked, the model takes
   limbs of the person behind for the nearer person's. The nearer one is left in the farther one's region, where
   they are what hides them (painted grey, they cost the person behind their occluded limbs' plausible guesses;
   measured in BENCHMARKS.md);
2. two regions that slid onto one body find the same person (keypoints closer than ``DUPLICATE_DISTANCE`` torso
   lengths on average): whoever moved least to get there keeps it;
3. someone still missing (hidden behind someone else, whose face then draws BlazePose to them) is looked for by the
   detector in a crop around where they were (``LOCAL_IMAGE_SIZES``), and keeps their place with the detector's
   keypoints (no world 3D for that frame) until BlazePose sees them again; a person found by neither is lost.
   People lost inside the picture are looked for this way for ``max_lost_frames`` frames;
4. every ``detect_every`` frames, and every other frame for ``detect_every`` frames after someone was lost inside
   the picture or someone's skeleton grew to over twice its size at their last detection, YOLO-pose looks at the
   whole frame
   (``detectors.yolo.YoloPersonDetector``). Its people are matched to the followed ones by keypoint distance
   (Hungarian); a followed person whose keypoints have drifted from their detection is seeded again from it; a
   detection nobody matches starts a new person seeded from YOLO's keypoints, unless BlazePose finds a body someone
   is already followed on there, or one inside the box of a larger skeleton that no detection matched (that
   skeleton ran away from this body onto the background: the person is put back on it, with their id). A person
   lost inside the picture near the detection gets their id back.

Running the whole-frame detector only every few frames is what makes several people affordable on a CPU: the
landmark model costs about one BlazePose frame per person, the detector several (BENCHMARKS.md, "Multi-person
2D"). Identities come from following, so the output ``FramePoses`` carry ``track_ids``.

With ``detect_ahead`` the next scheduled whole-frame detection starts on a thread as soon as its frame is in the
batch, and runs while BlazePose works on the frames before it (torch releases the GIL while the network runs;
MediaPipe does not, which is why the landmark calls stay on the calling thread, or go half to another process with
``detectors.landmark_process.TwoProcessLandmarker``). A detection is a function of its
frame alone, so the results are the same as without; one that an earlier, unscheduled detection made unneeded is
cancelled or dropped. Every detector call goes through that one thread, because an ultralytics model is not safe
to call from two threads at once.

While a follower exists torch runs on one thread (torch's setting is the process's; ``close()`` restores it), with
or without ``detect_ahead``: run ahead, the detector thread and the landmark calls take a core each, and torch's
second thread would only contend with them. YOLO11n took 210 ms a frame on one thread and on two on this project's
2-core machine, and with other programs busy 0.27 s on one against 1.3 s on two. Without ``detect_ahead`` it is
one thread too because YOLO's numbers are not always the same bits on one thread and on two, and the two ways must
give the same outputs.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from detectors.base import (COCO_FLIP_ORDER, LEFT_HIP, LEFT_SHOULDER, NUM_COCO_JOINTS, RIGHT_HIP, RIGHT_SHOULDER,
                            FramePoses, torso_lengths)
from detectors.blazepose_roi import BlazePoseLandmarker, PersonLandmarks, PoseRegion, Silhouette
from detectors.tracking import iou_matrix
from detectors.yolo import YoloPersonDetector

SEED_MIN_SCORE = 0.5      # YOLO keypoints trusted for the seed region and for comparing skeletons
SEED_RADIUS_MARGIN = 1.2  # keypoints stop at the ankles, wrists and nose: the body circle reaches further
RETRY_SCALE = 1.3         # a missed person is looked for again in a region this much larger
DUPLICATE_DISTANCE = 0.3  # torso lengths: two skeletons closer than this (mean over joints) are one body
MATCH_DISTANCE = 0.25     # of the person's size: a detection this near a followed person's keypoints is them
REANCHOR_DISTANCE = 0.08  # of the person's size: a followed person this far from their detection is seeded again
# BlazePose sometimes collapses onto a part of the body (the head): on dancer.avi such skeletons are 0.05-0.20 of the
# person's size one frame before; the fastest real shrink seen, the sample clip's man tucking into his backflip, 0.35.
COLLAPSE_RATIO = 0.25     # a skeleton smaller than this fraction of the person's last one is not them
REFIND_DISTANCE = 1.0     # person sizes: how far from a lost person's predicted place a detection gets their id
EDGE_MARGIN = 0.02        # of the frame size: a person lost this near the border left the picture
LOCAL_CROP_SCALE = 2.0    # the crop the detector looks for a missing person in, in person sizes
LOCAL_IMAGE_SIZES = (320, 640)  # px: the range of the detector's input for that crop
# Of a person's confident joints: a silhouette covering more of them is their own body, not someone behind. On the
# eval set a real person behind covers a median 12 % (95th percentile 53 %) of the nearer one's joints; a second
# skeleton on dancer.avi's one dancer 76-100 %.
OWN_BODY_COVERED = 0.5


def keypoint_box(keypoints: np.ndarray, padding: float = 0.1) -> np.ndarray:
    """(17, 2) pixels → (4,) x1 y1 x2 y2 around them, padded by ``padding`` of the larger side on each side."""
    low, high = keypoints.min(0), keypoints.max(0)
    pad = padding * float((high - low).max())
    return np.concatenate([low - pad, high + pad]).astype(np.float32)


def box_size(box: np.ndarray) -> float:
    """The larger side of an x1 y1 x2 y2 box, px (at least 1)."""
    return max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0)


def skeleton_distance(keypoints: np.ndarray, other: np.ndarray, other_scores: np.ndarray | None = None) -> float:
    """Mean distance (px) between two (17, 2) skeletons, over the joints ``other`` is confident of when its scores
    are given, with left and right as labelled or exchanged, whichever is nearer (models disagree on the sides of
    people seen from behind). inf when fewer than 4 joints are confident."""
    trusted = np.ones(NUM_COCO_JOINTS, bool) if other_scores is None else other_scores >= SEED_MIN_SCORE
    if trusted.sum() < 4:
        return np.inf
    return min(float(np.linalg.norm(keypoints[order][trusted] - other[trusted], axis=1).mean())
               for order in (slice(None), list(COCO_FLIP_ORDER)))


def same_body(a: np.ndarray, b: np.ndarray) -> bool:
    """Two (17, 2) skeletons closer than DUPLICATE_DISTANCE torso lengths, on average over the joints."""
    torso = max(float(torso_lengths(a)), float(torso_lengths(b)), 1.0)
    return float(np.linalg.norm(a - b, axis=1).mean()) < DUPLICATE_DISTANCE * torso


def seed_region(box: np.ndarray, keypoints: np.ndarray, scores: np.ndarray) -> PoseRegion:
    """BlazePose's region for a detected person: centred on the hips, turned so the trunk points up, large enough
    for every confident keypoint (with margin); from the box alone where the trunk keypoints are not confident."""
    trusted = scores >= SEED_MIN_SCORE
    if trusted[[LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER]].all():
        hips = keypoints[[LEFT_HIP, RIGHT_HIP]].mean(0)
        up = keypoints[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(0) - hips
        radius = SEED_RADIUS_MARGIN * float(np.linalg.norm(keypoints[trusted] - hips, axis=1).max())
        return PoseRegion.from_alignment_points(hips, hips + up / max(np.linalg.norm(up), 1e-6) * radius)
    box_centre = (box[:2] + box[2:]) / 2
    radius = float(np.linalg.norm(box[2:] - box[:2])) / 2
    return PoseRegion.from_alignment_points(box_centre, box_centre - np.array([0.0, radius]))


def detector_landmarks(people: FramePoses, index: int) -> PersonLandmarks:
    """A detection as the person's landmarks for one frame: the detector's keypoints, no world 3D (NaN)."""
    return PersonLandmarks(people.keypoints[index], people.scores[index],
                           np.full((NUM_COCO_JOINTS, 3), np.nan, np.float32),
                           seed_region(people.boxes[index], people.keypoints[index], people.scores[index]))


@dataclass(eq=False)  # people are compared by identity
class FollowedPerson:
    """One person being followed: their id, latest landmarks, box, and the frame they were last seen in."""

    track_id: int
    landmarks: PersonLandmarks
    last_frame: int
    box: np.ndarray = field(init=False)
    velocity: np.ndarray = field(init=False)  # (2,) px per frame of the box centre
    confirmed_box: np.ndarray = field(init=False)  # their box when a whole-frame detection last matched them
    grown_since: int | None = field(init=False)  # the frame their skeleton grew past twice the confirmed size

    def __post_init__(self):
        self.box = keypoint_box(self.landmarks.keypoints)
        self.velocity = np.zeros(2)
        self.confirmed_box = self.box
        self.grown_since = None

    def see(self, landmarks: PersonLandmarks, frame: int) -> None:
        box = keypoint_box(landmarks.keypoints)
        # The centre's motion means something only between skeletons of about one size (not a part of the body).
        self.velocity = ((_centre(box) - _centre(self.box)) / max(frame - self.last_frame, 1)
                         if _about_one_size(box, self.box)
                         else np.zeros(2))
        self.landmarks, self.last_frame, self.box = landmarks, frame, box
        self._note_growth(frame)

    def confirm(self) -> None:
        """A whole-frame detection matches them as they are now."""
        self.confirmed_box = self.box
        self.grown_since = None

    def _note_growth(self, frame: int) -> None:
        grown = box_size(self.box) > box_size(self.confirmed_box) and not _about_one_size(self.box, self.confirmed_box)
        if not grown:
            self.grown_since = None
        elif self.grown_since is None:
            self.grown_since = frame

    def predicted_box(self, frame: int) -> np.ndarray:
        shift = self.velocity * (frame - self.last_frame)
        return self.box + np.concatenate([shift, shift]).astype(np.float32)

    def jump(self, keypoints: np.ndarray) -> float:
        """How far a skeleton is from this person's last one: mean joint displacement (either labelling of the
        sides), in person sizes."""
        return skeleton_distance(self.landmarks.keypoints, keypoints) / box_size(self.box)


def _about_one_size(box: np.ndarray, other: np.ndarray) -> bool:
    """Two boxes within 2x of each other's size: skeletons of one body, not of a part of it or of something else."""
    return 0.5 < box_size(box) / box_size(other) < 2.0


def _part_sized(box: np.ndarray, person_box: np.ndarray) -> bool:
    """A box under COLLAPSE_RATIO of a person's box: the size of a part of them, not of a person."""
    return box_size(box) < COLLAPSE_RATIO * box_size(person_box)


def _unless_collapsed(landmarks: PersonLandmarks | None, box: np.ndarray) -> PersonLandmarks | None:
    """The landmarks, or None when they are part-sized against ``box`` (the person's last skeleton or their
    detection)."""
    if landmarks is None or _part_sized(keypoint_box(landmarks.keypoints), box):
        return None
    return landmarks


def _farther(person: FollowedPerson, other: FollowedPerson) -> bool:
    """Whether ``person`` stands farther from the camera than ``other``: their feet (the bottom of their keypoint
    box) higher in the picture, as on a common ground seen from above the feet."""
    return bool(person.box[3] < other.box[3])


def _behind(person: FollowedPerson, other: FollowedPerson) -> Silhouette | None:
    """What to hide from ``person``'s region of a person near them: ``other``'s silhouette (from their last frame),
    if ``other`` stands farther from the camera, unless it covers more than ``OWN_BODY_COVERED`` of ``person``'s own
    confident joints: then it is their body too (a second skeleton on the same body). None if there is nothing to
    hide."""
    theirs = other.landmarks.silhouette
    if theirs is None or not _farther(other, person):
        return None
    joints = person.landmarks.keypoints[person.landmarks.scores >= SEED_MIN_SCORE]
    if len(joints) == 0 or theirs.covers(joints).mean() > OWN_BODY_COVERED:
        return None
    return theirs


def _centre(box: np.ndarray) -> np.ndarray:
    return (box[:2] + box[2:]) / 2


class DetectAndFollow:
    """Frames in (consecutive batches of one clip, BGR uint8 (H, W, 3)), one ``FramePoses`` with ``track_ids`` per
    frame out. Make a new instance per clip.

    detector: YOLO-pose; landmarker: BlazePose's landmark model on regions (``BlazePoseLandmarker``, or
        ``TwoProcessLandmarker``: the same results, on two processes).
    detect_every: frames between whole-frame detector runs.
    max_followed: at most this many people are followed (or looked for) at once; the largest new detections fill
        free places.
    max_lost_frames: how long a person lost inside the picture is looked for (and can get their id back).
    detect_ahead: run the detector on a thread, the scheduled whole-frame runs ahead of their use (see above).
    world_keypoints of the output are NaN for people the detector alone saw in that frame.
    """

    def __init__(self, detector: YoloPersonDetector, landmarker: BlazePoseLandmarker, detect_every: int = 10,
                 max_followed: int = 8, max_lost_frames: int = 30, detect_ahead: bool = False):
        if detect_every < 1 or max_followed < 1:
            raise ValueError("detect_every and max_followed must be at least 1")
        self.detector, self.landmarker = detector, landmarker
        self.detect_every, self.max_followed, self.max_lost_frames = detect_every, max_followed, max_lost_frames
        self.name = (f"{detector.name} (every {detect_every} frames) + {landmarker.name}, following up to "
                     f"{max_followed} people")
        self.detector_runs = 0
        self._followed: list[FollowedPerson] = []
        self._lost: list[FollowedPerson] = []  # lost inside the picture, still looked for
        self._frame = -1
        self._last_detection = -detect_every
        self._next_id = 0
        self._detector_thread = ThreadPoolExecutor(1, thread_name_prefix="detector") if detect_ahead else None
        self._torch_threads = torch.get_num_threads()  # restored on close()
        torch.set_num_threads(1)
        self._scheduled: dict[int, Future] = {}  # frame index → its whole-frame detection, started ahead

    def __call__(self, frames: list[np.ndarray]) -> list[FramePoses]:
        first = self._frame + 1
        poses = []
        for frame in frames:
            if self._detector_thread is not None:
                self._detect_ahead(frames, first)
            poses.append(self._step(frame))
        return poses

    def _detect_ahead(self, frames: list[np.ndarray], first: int) -> None:
        """Start the next scheduled whole-frame detection when its frame is among ``frames`` (the first of which
        is frame ``first``); forget started ones whose frame has passed."""
        scheduled = self._last_detection + self.detect_every
        for index in [index for index in self._scheduled if index <= self._frame]:
            self._scheduled.pop(index).cancel()
        if first <= scheduled < first + len(frames) and scheduled not in self._scheduled:
            self._scheduled[scheduled] = self._detector_thread.submit(
                self.detector.detect_people, [frames[scheduled - first]])

    def _detect_people(self, frame: np.ndarray, image_size: int | None = None) -> FramePoses:
        """The detector on one frame (or crop), through the detector thread when there is one."""
        if self._detector_thread is None:
            return self.detector.detect_people([frame], image_size)[0]
        return self._detector_thread.submit(self.detector.detect_people, [frame], image_size).result()[0]

    def _step(self, frame: np.ndarray) -> FramePoses:
        self._frame += 1
        people = self._followed + self._lost
        regions = [person.landmarks.next_region for person in self._followed]
        boxes = np.array([person.box for person in self._followed], np.float32).reshape(-1, 4)
        overlapping = iou_matrix(boxes, boxes) > 0
        near = [[other for column, other in enumerate(self._followed) if column != row and overlapping[row, column]]
                for row in range(len(self._followed))]
        farther = {id(other) for person, others in zip(self._followed, near) for other in others
                   if _farther(other, person)}
        hidden = [[part for part in (_behind(person, other) for other in others) if part is not None]
                  for person, others in zip(self._followed, near)]
        found = self.landmarker(frame, regions, hidden=hidden,
                                segment=[id(person) in farther for person in self._followed])
        found = [_unless_collapsed(landmarks, person.box) for person, landmarks in zip(self._followed, found)]
        missed = [person for person, landmarks in zip(self._followed, found) if landmarks is None] + self._lost
        retried = self.landmarker(frame, [person.landmarks.next_region.scaled(RETRY_SCALE) for person in missed])
        retried = [_unless_collapsed(landmarks, person.box) for person, landmarks in zip(missed, retried)]
        candidates = [(person, landmarks) for person, landmarks in [*zip(self._followed, found), *zip(missed, retried)]
                      if landmarks is not None]
        candidates.sort(key=lambda candidate: candidate[0].jump(candidate[1].keypoints))
        self._followed = []
        for person, landmarks in candidates:
            if not self._taken(landmarks.keypoints):
                person.see(landmarks, self._frame)
                self._followed.append(person)
        missing = [person for person in people if person not in self._followed
                   and self._frame - person.last_frame <= self.max_lost_frames
                   and not self._at_border(person.box, frame.shape)]
        for person in missing:
            self._look_near(frame, person)
        self._lost = [person for person in missing if person not in self._followed]
        since_detection = self._frame - self._last_detection
        just_lost = any(self._frame - person.last_frame <= self.detect_every for person in self._lost)
        if since_detection >= self.detect_every or ((just_lost or self._someone_grown()) and since_detection >= 2):
            self._detect(frame)
        return self._frame_poses()

    def _someone_grown(self) -> bool:
        """A followed person whose skeleton grew to over twice its size at their last detection, at most
        ``detect_every`` frames ago: it may be running away from them onto the background (``_ran_away_from``),
        which only a detection can tell (and if the detector does not see them then, the schedule goes on)."""
        return any(person.grown_since is not None and self._frame - person.grown_since <= self.detect_every
                   for person in self._followed)

    def _taken(self, keypoints: np.ndarray) -> bool:
        return any(same_body(keypoints, other.landmarks.keypoints) for other in self._followed)

    def _part_of_someone(self, keypoints: np.ndarray) -> bool:
        """A skeleton inside a followed person's box and less than COLLAPSE_RATIO of their size: a part of them (the
        detector and BlazePose can both take a dancer's head for a person)."""
        box = keypoint_box(keypoints, padding=0.0)
        return any(_part_sized(box, other.box) and (box[:2] >= other.box[:2]).all() and (box[2:] <= other.box[2:]).all()
                   for other in self._followed)

    @staticmethod
    def _ran_away_from(keypoints: np.ndarray, detection_box: np.ndarray,
                       unconfirmed: list[FollowedPerson]) -> FollowedPerson | None:
        """The followed person whose skeleton ran away from this body, if any: one that no detection of this run
        matches, whose skeleton has grown to over twice its size at their last detection (``_about_one_size``) and
        holds the new skeleton's centre in its box, where the new skeleton is smaller and the detection it was
        seeded from of their size at that detection (the detection's box: a skeleton seeded on a body tucked in a
        flip can be half its box). BlazePose's region comes from its own last landmarks, and on a backlit flip a
        skeleton once stretched can grow onto the background frame after frame while the detector finds the body
        inside it (BENCHMARKS.md, issue 14). People who keep their size are never taken for this: in a crowd one
        walker's box often holds another's centre."""
        box = keypoint_box(keypoints)
        centre = _centre(box)
        holding = [person for person in unconfirmed if (centre >= person.box[:2]).all()
                   and (centre <= person.box[2:]).all() and box_size(person.box) > box_size(box)
                   and not _about_one_size(person.box, person.confirmed_box)
                   and _about_one_size(detection_box, person.confirmed_box)]
        return max(holding, key=lambda person: box_size(person.box), default=None)

    @staticmethod
    def _at_border(box: np.ndarray, shape: tuple[int, ...]) -> bool:
        height, width = shape[:2]
        margin = EDGE_MARGIN * max(width, height)
        return bool(box[0] < margin or box[1] < margin or box[2] > width - margin or box[3] > height - margin)

    def _look_near(self, frame: np.ndarray, person: FollowedPerson) -> None:
        """The detector on a crop around where a missing person should be; they keep their place with the
        detection nearest their last keypoints, if near enough and not someone already followed."""
        box = person.predicted_box(self._frame)
        half = LOCAL_CROP_SCALE * box_size(box) / 2
        low = np.clip(np.floor(_centre(box) - half), 0, None).astype(int)
        high = np.minimum(np.ceil(_centre(box) + half).astype(int), frame.shape[1::-1])
        if np.any(high - low < 8):
            return
        # At least the whole-frame detector's scale (a backlit or small person needs it), within LOCAL_IMAGE_SIZES.
        scale = self.detector.image_size / max(frame.shape[:2])
        image_size = int(np.clip(np.ceil(max(high - low) * scale / 32) * 32, *LOCAL_IMAGE_SIZES))
        detections = self._detect_people(frame[low[1]:high[1], low[0]:high[0]], image_size)
        detections.boxes += np.tile(low, 2)
        detections.keypoints += low
        expected = person.landmarks.keypoints + person.velocity * (self._frame - person.last_frame)
        best, best_distance = None, MATCH_DISTANCE * box_size(person.box)
        for index in range(len(detections)):
            distance = skeleton_distance(expected, detections.keypoints[index], detections.scores[index])
            if distance < best_distance and not self._taken(detections.keypoints[index]):
                best, best_distance = index, distance
        if best is not None:
            person.see(detector_landmarks(detections, best), self._frame)
            self._followed.append(person)

    def _detect(self, frame: np.ndarray) -> None:
        self._last_detection = self._frame
        self.detector_runs += 1
        scheduled = self._scheduled.pop(self._frame, None)
        self._use_detections(frame, scheduled.result()[0] if scheduled is not None else self._detect_people(frame))

    def _use_detections(self, frame: np.ndarray, detections: FramePoses) -> None:
        """Match the whole-frame detections to the followed people, seed again who drifted, start new people."""
        if len(detections) == 0:
            return
        matched = set()
        unconfirmed = list(self._followed)  # followed people no detection matches
        if self._followed:
            distance = np.array([[skeleton_distance(person.landmarks.keypoints, detections.keypoints[index],
                                                    detections.scores[index]) / box_size(detections.boxes[index])
                                  for index in range(len(detections))] for person in self._followed])
            rows, columns = linear_sum_assignment(np.minimum(distance, 1e6))
            for row, column in zip(rows, columns):
                if distance[row, column] < MATCH_DISTANCE:
                    matched.add(int(column))
                    unconfirmed.remove(self._followed[row])
                    if distance[row, column] > REANCHOR_DISTANCE:
                        self._reanchor(frame, self._followed[row], detections, int(column))
                    self._followed[row].confirm()
        areas = np.prod(detections.boxes[:, 2:] - detections.boxes[:, :2], axis=1)
        for index in np.argsort(-areas):
            if index in matched:
                continue
            landmarks = self._seed(frame, detections, index)
            if landmarks is None or self._taken(landmarks.keypoints):
                continue
            runaway = self._ran_away_from(landmarks.keypoints, detections.boxes[index], unconfirmed)
            if runaway is not None:
                runaway.see(landmarks, self._frame)
                runaway.confirm()
                unconfirmed.remove(runaway)
                continue
            if self._part_of_someone(landmarks.keypoints):
                continue
            refound = self._refound(landmarks)
            if refound is None and len(self._followed) + len(self._lost) >= self.max_followed:
                continue  # the lost keep their place a while
            if refound is None:
                refound = FollowedPerson(self._next_id, landmarks, self._frame)
                self._next_id += 1
            else:
                refound.see(landmarks, self._frame)
                refound.confirm()
            self._followed.append(refound)

    def _reanchor(self, frame: np.ndarray, person: FollowedPerson, detections: FramePoses, index: int) -> None:
        """Seed a drifted person again from their detection; the detector's keypoints stand in where BlazePose
        then finds nobody or someone else."""
        if _part_sized(detections.boxes[index], person.box):
            return  # the detector saw a part of them (a dark body on a dark ground: the head): they stay as followed
        others = [other for other in self._followed if other is not person]
        landmarks = _unless_collapsed(self._seed(frame, detections, index), person.box)
        if landmarks is None or any(same_body(landmarks.keypoints, other.landmarks.keypoints) for other in others):
            landmarks = detector_landmarks(detections, index)
        person.see(landmarks, self._frame)

    def _seed(self, frame: np.ndarray, detections: FramePoses, index: int) -> PersonLandmarks | None:
        """Landmarks of a detected person: from the detector's region, then once more from BlazePose's own region
        for them (the detector's region is only roughly where BlazePose expects the body); None when BlazePose
        finds nobody there, or only a part of them (``COLLAPSE_RATIO``)."""
        box = detections.boxes[index]
        first = _unless_collapsed(self.landmarker(frame, [seed_region(box, detections.keypoints[index],
                                                                      detections.scores[index])])[0], box)
        if first is None:
            return None
        return _unless_collapsed(self.landmarker(frame, [first.next_region])[0], box) or first

    def _refound(self, landmarks: PersonLandmarks) -> FollowedPerson | None:
        """The lost person nearest to where they would be now (within REFIND_DISTANCE person sizes), taken off the
        lost list; None if nobody is."""
        box = keypoint_box(landmarks.keypoints)
        best, best_distance = None, REFIND_DISTANCE
        for person in self._lost:
            predicted = person.predicted_box(self._frame)
            distance = np.linalg.norm(_centre(box) - _centre(predicted)) / max(box_size(predicted), box_size(box))
            if distance < best_distance:
                best, best_distance = person, distance
        if best is not None:
            self._lost.remove(best)
        return best

    def _frame_poses(self) -> FramePoses:
        people = self._followed
        if not people:
            return FramePoses.empty()
        return FramePoses(
            boxes=np.array([person.box for person in people], np.float32),
            box_scores=np.array([person.landmarks.scores.mean() for person in people], np.float32),
            keypoints=np.array([person.landmarks.keypoints for person in people], np.float32),
            scores=np.array([person.landmarks.scores for person in people], np.float32),
            world_keypoints=np.array([person.landmarks.world_keypoints for person in people], np.float32),
            track_ids=np.array([person.track_id for person in people], np.int64))

    def warm_up(self, frame: np.ndarray) -> None:
        """Run both models once on ``frame`` (BGR (H, W, 3)), following nobody: their first calls load and prepare
        them (about a second), which a live session does before its first frame."""
        self.detector.detect_people([frame])
        height, width = frame.shape[:2]
        centre = np.array([width / 2, height / 2])
        self.landmarker(frame, [PoseRegion.from_alignment_points(centre, centre - [0.0, height / 4])])

    def close(self) -> None:
        if self._detector_thread is not None:
            self._detector_thread.shutdown(cancel_futures=True)
        torch.set_num_threads(self._torch_threads)
        self.landmarker.close()
