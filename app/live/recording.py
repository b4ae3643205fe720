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
        self._world_from_camera = np.eye(4, dtype=np.float32)
        self._image_size = (0, 0)
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
        placed = processed.placed
        self._frames.append(dict(track_ids=processed.track_ids, keypoints_2d=processed.keypoints_2d,
                                 scores_2d=processed.scores_2d, keypoints_3d=processed.keypoints_3d,
                                 root_camera=placed.roots_camera, keypoints_3d_camera=placed.keypoints_camera,
                                 keypoints_3d_world=placed.keypoints_world))  # not the image: memory stays small
        self._world_from_camera[:3, :3] = placed.rotation
        self._world_from_camera[2, 3] = placed.camera_height
        self._image_size = (processed.frame.image.shape[1], processed.frame.image.shape[0])
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
        """The recorded frames as ``ClipKeypoints``; people in order of first appearance."""
        processed = [frame for frame in self._frames if frame is not None]
        track_ids = list(dict.fromkeys(int(track_id) for frame in processed for track_id in frame["track_ids"]))
        column = {track_id: person for person, track_id in enumerate(track_ids)}
        shapes = dict(keypoints_2d=(17, 2), scores_2d=(17,), keypoints_3d=(17, 3), root_camera=(3,),
                      keypoints_3d_camera=(17, 3), keypoints_3d_world=(17, 3))
        arrays = {name: np.zeros((len(track_ids), len(self._frames)) + shape, np.float32)
                  for name, shape in shapes.items()}
        valid = np.zeros((len(track_ids), len(self._frames)), bool)
        for time, frame in enumerate(self._frames):
            if frame is None:  # dropped: the 3D holds the previous frame's
                for name in ("keypoints_3d", "root_camera", "keypoints_3d_camera", "keypoints_3d_world"):
                    arrays[name][:, time] = arrays[name][:, time - 1]
                continue
            for person, track_id in enumerate(frame["track_ids"]):
                valid[column[int(track_id)], time] = True
                for name in shapes:
                    arrays[name][column[int(track_id)], time] = frame[name][person]
        return ClipKeypoints(arrays["keypoints_2d"], arrays["scores_2d"], arrays["keypoints_3d"], valid,
                             np.array(track_ids, np.int64), self.fps, self._image_size, self.lifter_name,
                             root_camera=arrays["root_camera"], keypoints_3d_camera=arrays["keypoints_3d_camera"],
                             keypoints_3d_world=arrays["keypoints_3d_world"], camera_matrix=self.camera.matrix(),
                             world_from_camera=self._world_from_camera, focal_source=self.camera.source)
