"""Recording a live session: the composites as ``<name>.mp4`` and the people as ``<name>_keypoints.npz`` (the
offline format, ``app.export``), written through an ``OutputSet``, so the folder holds a complete recording or
its previous content, never a part.

The recording keeps the source's time base: a dropped frame repeats the previous composite in the MP4, and in the
npz it is a frame where nobody is ``valid`` (2D and scores 0; the 3D holds each person's last processed pose).
The world keys are as shown live, each frame placed with the running estimates of that moment; ``world_from_camera``
is the last estimate.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.export import ClipKeypoints, save_keypoints
from app.live.engine import ProcessedFrame
from app.output_set import OutputSet
from app.video_io import Mp4Writer
from lifters.world.camera import Intrinsics


class LiveRecording:
    """``with LiveRecording(folder, fps, size, camera, lifter_name) as recording: recording.add(processed,
    composite)`` for each processed frame, in capture order. Leaving the block normally (a stop by the user
    included) publishes the folder; an exception leaves it as it was."""

    def __init__(self, folder: Path, fps: float, composite_size: tuple[int, int], camera: Intrinsics,
                 lifter_name: str, inputs: tuple[Path, ...] = ()):
        self.folder, self.fps, self.camera, self.lifter_name = Path(folder), fps, camera, lifter_name
        self.composite_size = composite_size
        self._output = OutputSet(self.folder, inputs)
        self._frames: list[dict[str, np.ndarray] | None] = []  # per source frame from the first processed one
        self._last: ProcessedFrame | None = None
        self._first_index: int | None = None
        self._previous = None

    def __enter__(self) -> "LiveRecording":
        self._staging = self._output.__enter__()
        self._mp4 = Mp4Writer(self._staging / f"{self.folder.name}.mp4", self.fps, self.composite_size)
        self._mp4.__enter__()
        return self

    def add(self, processed: ProcessedFrame, composite: np.ndarray) -> None:
        index = processed.frame.index
        self._first_index = index if self._first_index is None else self._first_index
        while self._previous is not None and self._first_index + len(self._frames) < index:  # dropped frames
            self._mp4.write(self._previous)
            self._frames.append(None)
        self._mp4.write(composite)
        self._frames.append(people_record(processed))
        self._last = processed
        self._previous = composite

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self._mp4.__exit__(exc_type, exc, traceback)
            if exc_type is None:
                save_keypoints(self._staging / f"{self.folder.name}_keypoints.npz", self.clip())
        except BaseException as error:
            self._output.__exit__(type(error), error, error.__traceback__)
            raise
        self._output.__exit__(exc_type, exc, traceback)

    def clip(self) -> ClipKeypoints:
        """The recorded frames as ``ClipKeypoints`` (see ``clip_keypoints``)."""
        return clip_keypoints(self._frames, self._last, self.fps, self.camera, self.lifter_name)


PER_PERSON_SHAPES = dict(keypoints_2d=(17, 2), scores_2d=(17,), keypoints_3d=(17, 3), root_camera=(3,),
                         keypoints_3d_camera=(17, 3), keypoints_3d_world=(17, 3))
HELD_WHEN_DROPPED = ("keypoints_3d", "root_camera", "keypoints_3d_camera", "keypoints_3d_world")


def people_record(processed: ProcessedFrame) -> dict[str, np.ndarray]:
    """What a recording keeps of a processed frame: the track ids (N,) and the ``PER_PERSON_SHAPES`` arrays
    (N, ...) — not the image, so memory stays small."""
    placed = processed.placed
    return dict(track_ids=processed.track_ids, keypoints_2d=processed.keypoints_2d, scores_2d=processed.scores_2d,
                keypoints_3d=processed.keypoints_3d, root_camera=placed.roots_camera,
                keypoints_3d_camera=placed.keypoints_camera, keypoints_3d_world=placed.keypoints_world)


def clip_keypoints(records: list[dict[str, np.ndarray] | None], last: ProcessedFrame | None, fps: float,
                   camera: Intrinsics, lifter_name: str) -> ClipKeypoints:
    """Consecutive source frames (a ``people_record`` each, None where the frame was dropped) → ``ClipKeypoints``,
    people in order of first appearance; image size and the world transform from ``last``, the last processed
    frame."""
    track_ids = list(dict.fromkeys(int(track_id) for record in records if record is not None
                                   for track_id in record["track_ids"]))
    column = {track_id: person for person, track_id in enumerate(track_ids)}
    arrays = {name: np.zeros((len(track_ids), len(records)) + shape, np.float32)
              for name, shape in PER_PERSON_SHAPES.items()}
    valid = np.zeros((len(track_ids), len(records)), bool)
    for time, record in enumerate(records):
        if record is None:  # dropped: the 3D holds the previous frame's
            for name in HELD_WHEN_DROPPED:
                arrays[name][:, time] = arrays[name][:, time - 1]
            continue
        for person, track_id in enumerate(record["track_ids"]):
            valid[column[int(track_id)], time] = True
            for name in PER_PERSON_SHAPES:
                arrays[name][column[int(track_id)], time] = record[name][person]
    world_from_camera = np.eye(4, dtype=np.float32)
    image_size = (0, 0)
    if last is not None:
        world_from_camera[:3, :3] = last.placed.rotation
        world_from_camera[2, 3] = last.placed.camera_height
        image_size = (last.frame.image.shape[1], last.frame.image.shape[0])
    return ClipKeypoints(arrays["keypoints_2d"], arrays["scores_2d"], arrays["keypoints_3d"], valid,
                         np.array(track_ids, np.int64), fps, image_size, lifter_name,
                         root_camera=arrays["root_camera"], keypoints_3d_camera=arrays["keypoints_3d_camera"],
                         keypoints_3d_world=arrays["keypoints_3d_world"], camera_matrix=camera.matrix(),
                         world_from_camera=world_from_camera, focal_source=camera.source)
