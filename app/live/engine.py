"""One live frame through the stages, causally: 2D (``detectors.follow``) → online flip correction → causal
lifting (``lifters.causal``) → the running world estimate (``lifters.world.live``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.live.sources import CapturedFrame
from detectors.flip_correction import OnlineFlipCorrector
from lifters.causal import CausalLifter, PersonLifter
from lifters.skeleton import coco_to_h36m, normalize_screen_coordinates
from lifters.world.camera import Intrinsics
from lifters.world.live import LiveWorld, PlacedPeople

FLIP_LOOK_BACK_SECONDS = 1.0  # how far back the online flip correction looks
FORGET_SECONDS = 5.0  # a person unseen this long is gone for good (the 2D stage gives a returning person a new id)


@dataclass
class ProcessedFrame:
    """One frame's people; N people, H36M-17.

    frame: the captured frame; track_ids: (N,) int64; keypoints_2d: (N, 17, 2) float32 px; scores_2d: (N, 17);
    keypoints_3d: (N, 17, 3) float32 metres root-relative, camera frame; placed: the people in the world.
    """

    frame: CapturedFrame
    track_ids: np.ndarray
    keypoints_2d: np.ndarray
    scores_2d: np.ndarray
    keypoints_3d: np.ndarray
    placed: PlacedPeople


class LiveEngine:
    """``engine(frame)`` → ``ProcessedFrame``, for the consecutive processed frames of one source.

    estimator: a 2D stage called on one frame at a time (``detectors.api.build_pose_estimator``); lifter: the
    causal lifter; camera: the source's intrinsics; fps: its nominal frame rate.
    """

    def __init__(self, estimator, lifter: CausalLifter, camera: Intrinsics, fps: float):
        self.estimator, self.lifter, self.camera = estimator, lifter, camera
        self.world = LiveWorld(camera, fps)
        self.look_back = max(1, round(FLIP_LOOK_BACK_SECONDS * fps))
        self._flips: dict[int, OnlineFlipCorrector] = {}
        self._lifters: dict[int, PersonLifter] = {}
        self._last_seen: dict[int, float] = {}  # media time, per track id
        self._forgotten_corrections = 0  # corrected frames of the people forgotten

    @property
    def corrected_frames(self) -> int:
        """Frames (summed over people) the online flip correction relabelled."""
        return self._forgotten_corrections + sum(corrector.corrected_frames for corrector in self._flips.values())

    def _forget_the_gone(self, time: float) -> None:
        """Drop the state of people unseen for ``FORGET_SECONDS``, so a long session's memory stays flat."""
        gone = {track_id for track_id, seen in self._last_seen.items() if time - seen > FORGET_SECONDS}
        for track_id in gone:
            self._forgotten_corrections += self._flips.pop(track_id).corrected_frames
            del self._lifters[track_id], self._last_seen[track_id]
        self.world.forget(gone)

    def warm_up(self, width: int, height: int) -> None:
        """Load the 2D models on a blank frame of the source's size, before the first real frame."""
        self.estimator.warm_up(np.zeros((height, width, 3), np.uint8))

    def __call__(self, frame: CapturedFrame) -> ProcessedFrame:
        people = self.estimator([frame.image])[0]
        count = len(people)
        # BlazePose's own tracker (--detector blazepose) follows one person and gives no ids.
        track_ids = people.track_ids if people.track_ids is not None else np.zeros(count, np.int64)
        keypoints, scores = people.keypoints.copy(), people.scores.copy()
        world = None if people.world_keypoints is None else people.world_keypoints.copy()
        for track_id in map(int, track_ids):
            if track_id not in self._flips:  # someone new
                self._flips[track_id] = OnlineFlipCorrector(self.look_back)
                self._lifters[track_id] = self.lifter.new_person()
        for person, track_id in enumerate(track_ids):
            corrector = self._flips[int(track_id)]
            keypoints[person], scores[person], world_person = corrector(
                keypoints[person], scores[person], None if world is None else world[person])
            if world is not None:
                world[person] = world_person
        keypoints_2d, scores_2d = coco_to_h36m(keypoints, scores)
        normalized = normalize_screen_coordinates(keypoints_2d, frame.image.shape[1], frame.image.shape[0])
        poses = np.zeros((count, 17, 3), np.float32)
        for person, track_id in enumerate(track_ids):
            poses[person] = self._lifters[int(track_id)](normalized[person], None if world is None else world[person], frame.media_time)
        placed = self.world(poses, keypoints_2d, scores_2d, track_ids, frame.media_time)
        self._last_seen.update((int(track_id), frame.media_time) for track_id in track_ids)
        self._forget_the_gone(frame.media_time)
        return ProcessedFrame(frame, np.asarray(track_ids, np.int64), keypoints_2d, scores_2d, poses, placed)

    def close(self) -> None:
        self.estimator.close()
