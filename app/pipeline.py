"""One video in, side-by-side MP4 (+ GIF) and keypoints out: the stage chain.

Pass 1 decodes the video and runs the 2D stage, keeping only keypoints; the lifter then runs per person on the
whole clip; pass 2 decodes the video again and renders straight into the encoder. With ``RunOptions.parallel``
(the default) the stages of each pass overlap (``app.run_ahead``): in pass 1 decoding runs on a thread ahead of the
2D stage, which runs its whole-frame detector ahead on another (``detectors.follow``) and, with several people,
half of BlazePose's landmark calls in a worker process (``detectors.landmark_process``); in pass 2 decode, render
and encode each have a thread. The outputs are the same bytes as with ``parallel=False``, which runs every stage one
after another. No decoded frame is held beyond the current batch and the few queued between stages, so memory does
not grow with the clip's length. All outputs of a video are written into an
``OutputSet``'s staging folder, which replaces ``<output_dir>/<stem>/`` only when everything succeeded.
"""
from __future__ import annotations

import contextlib
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from tqdm import tqdm

from app.audio import copy_audio
from app.errors import InputError, OutputError
from app.export import ClipKeypoints, save_keypoints
from app.exports import EXPORTERS, write_exports
from app.output_set import OutputSet, check_replaceable
from app.render import SideBySideRenderer, framing
from app.run_ahead import run_ahead
from app.video_io import GifWriter, Mp4Writer, VideoReader
from detectors.api import build_pose_estimator
from detectors.base import PoseTracks
from detectors.flip_correction import correct_left_right_flips
from detectors.tracking import assemble_tracks
from lifters.api import Track2D
from lifters.skeleton import coco_to_h36m, fill_gaps, normalize_screen_coordinates
from lifters.world.camera import clip_intrinsics
from lifters.world.scene import Scene, build_scene

BATCH_FRAMES = 16
# Decoded frames (or composites) queued between two stages that run on their own threads: enough to even out the
# frames that cost more (a detector run) without holding many HD frames.
QUEUE_FRAMES = 8
TRAIL_SECONDS = 1.0  # the 3D panel draws each person's last second of pelvis positions on the floor
# Who is shown: everyone the 2D stage followed for at least this long (shorter tracks are mostly false detections
# and people glimpsed at the border; BENCHMARKS.md, "Multi-person 2D").
MIN_SECONDS_ON_SCREEN = 1.0


@dataclass
class RunOptions:
    output_dir: Path
    gif: bool = False
    detector: str = "auto"
    pose2d: str = "auto"
    max_people: int | None = None  # None: everyone on screen long enough (see detect_people)
    device: str | None = None  # torch device of the 2D models (the lifter gets its own at load time)
    azimuth: float = 20.0
    elevation: float = 25.0
    progress: bool = True
    exports: tuple[str, ...] = tuple(EXPORTERS)  # written beside the npz (``app.exports``)
    on_progress: Callable[[str, int, int | None], None] | None = None  # (bar name, frames done, total) for a page
    focal_px: float | None = None  # the camera's focal length in pixels when known (else metadata, else a prior)
    parallel: bool = True  # overlap the stages on threads (False: one after another; the outputs are the same)
    # With parallel: BlazePose's landmark calls of a frame with several people split between this process and a
    # worker process (``detectors.landmark_process``; False: all in this one; the outputs are the same)
    landmark_process: bool = True


@dataclass
class VideoResult:
    video: Path
    output_dir: Path
    num_frames: int
    frames_per_person: list[int]  # frames with a skeleton, per person (most prominent first)
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    flip_corrected_frames: int = 0  # frames (summed over people) whose left/right labels were swapped back
    focal: str = ""  # the focal length used and where it came from

    @property
    def num_people(self) -> int:
        return len(self.frames_per_person)

    def summary(self) -> str:
        stages = " · ".join(f"{name} {self.num_frames / max(seconds, 1e-9):.0f} fps"
                            for name, seconds in self.stage_seconds.items())
        shares = ", ".join(f"#{person} {100 * frames / self.num_frames:.0f} %"
                           for person, frames in enumerate(self.frames_per_person))
        return (f"{self.video.name}: {self.num_frames} frames, {self.num_people} "
                f"{'person' if self.num_people == 1 else 'people'} ({shares} of the frames), {self.seconds:.1f} s "
                f"({self.num_frames / self.seconds:.1f} fps) | left/right flips corrected in "
                f"{self.flip_corrected_frames} frames | focal {self.focal} | {stages} → {self.output_dir}")


class StageTimer:
    """Accumulates wall time per stage name."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start

    def timed_iter(self, stage: str, items: Iterable) -> Iterator:
        iterator = iter(items)
        while True:
            with self(stage):
                item = next(iterator, None)
            if item is None:
                return
            yield item


def _batches(frames: Iterable[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    batch = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decoded(reader: VideoReader, options: RunOptions, timer: StageTimer) -> Iterator[np.ndarray]:
    """The frames of ``reader``, decoded on a thread ahead of their use when ``options.parallel``."""
    frames = timer.timed_iter("decode", reader)
    return run_ahead(frames, QUEUE_FRAMES) if options.parallel else frames


def trails(scene: Scene, valid: np.ndarray, frame: int, length: int) -> list[np.ndarray]:
    """Per person the world pelvis positions (K, 3) of the valid frames among the last ``length`` up to ``frame``."""
    start = max(0, frame - length + 1)
    return [scene.keypoints_world[person, start:frame + 1, 0][valid[person, start:frame + 1]]
            for person in range(len(valid))]


class _ReportingBar(tqdm):
    """A progress bar shown by a callback instead of a terminal (tqdm's way for other front ends: override display)."""

    def __init__(self, *args, report: Callable[[str, int, int | None], None], **kwargs):
        self._report = report  # before tqdm's __init__, which displays the bar once
        super().__init__(*args, **kwargs)

    def display(self, msg=None, pos=None) -> bool:
        self._report(self.desc, self.n, self.total)
        return True


def _progress_bar(options: RunOptions, iterable, total: int | None, description: str):
    if options.on_progress is not None:
        return _ReportingBar(iterable, total=total, desc=description, unit="frame", leave=False, mininterval=0.25,
                             report=options.on_progress)
    return tqdm(iterable, total=total, desc=description, unit="frame", leave=False, disable=not options.progress,
                dynamic_ncols=True)


def detect_people(reader: VideoReader, options: RunOptions, timer: StageTimer) -> tuple[PoseTracks, tuple[int, int]]:
    """The 2D stage over a whole clip: keypoints, tracking → (tracks before flip correction, (W, H) px)."""
    estimator = build_pose_estimator(options.detector, options.pose2d, options.max_people, options.device,
                                     detect_ahead=options.parallel,
                                     landmark_process=options.parallel and options.landmark_process)
    frame_poses, image_size = [], None
    frames = _decoded(reader, options, timer)
    try:
        progress = _progress_bar(options, None, reader.header_frame_count or None, f"2D  {reader.path.name}")
        for batch in _batches(frames, BATCH_FRAMES):
            image_size = image_size or (batch[0].shape[1], batch[0].shape[0])
            with timer("2d"):
                frame_poses.extend(estimator(batch))
            progress.update(len(batch))
        progress.close()
    finally:
        frames.close()
        estimator.close()
    if not frame_poses:
        raise InputError(f"{reader.path}: no decodable frames")
    with timer("2d"):
        tracks = assemble_tracks(frame_poses, min_frames=round(MIN_SECONDS_ON_SCREEN * reader.fps),
                                 max_people=options.max_people)
    if not tracks.valid.any():
        raise InputError(f"{reader.path}: no person found in any of its {len(frame_poses)} frames")
    return tracks, image_size


def lift_people(lifter: Callable[[Track2D], np.ndarray], tracks: PoseTracks, image_size: tuple[int, int],
                fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tracks of a clip at ``fps`` frames/s → H36M keypoints_2d (P, T, 17, 2) px, scores (P, T, 17), normalised
    filled 2D (P, T, 17, 2), 3D (P, T, 17, 3)."""
    keypoints_2d, scores_2d = coco_to_h36m(tracks.keypoints, tracks.scores)
    keypoints_2d[~tracks.valid] = 0.0
    scores_2d[~tracks.valid] = 0.0
    normalized = np.zeros_like(keypoints_2d)
    keypoints_3d = np.zeros(keypoints_2d.shape[:3] + (3,), np.float32)
    for person in range(tracks.num_people):
        valid = tracks.valid[person]
        normalized[person] = normalize_screen_coordinates(fill_gaps(keypoints_2d[person], valid), *image_size)
        world = None
        if tracks.world_keypoints is not None:  # NaN where the detector alone saw the person: interpolated too
            world_valid = valid & np.isfinite(tracks.world_keypoints[person]).all(axis=(1, 2))
            world = fill_gaps(tracks.world_keypoints[person], world_valid)
        keypoints_3d[person] = lifter(Track2D(normalized[person], scores_2d[person], world, fps))
    return keypoints_2d, scores_2d, normalized, keypoints_3d


def warn_about_lost_frames(reader: VideoReader, num_frames: int) -> None:
    """One warning line when a damaged file gave fewer frames than its header promises, or had to be skipped in."""
    lost = reader.header_frame_count - num_frames
    if lost > 0:
        warnings.warn(f"{reader.path.name}: {lost} of its {reader.header_frame_count} frames could not be decoded "
                      f"(damaged file?); the outputs have the {num_frames} decodable frames", stacklevel=2)
    elif reader.skipped_reads:
        warnings.warn(f"{reader.path.name}: damaged stretches were skipped ({reader.skipped_reads} failed reads); "
                      f"the outputs have the {num_frames} decodable frames", stacklevel=2)


def check_finite(keypoints_3d: np.ndarray, lifter_name: str, video: Path) -> None:
    """A lifter whose weights are broken returns NaN or inf: say so rather than render or save garbage."""
    finite = np.isfinite(keypoints_3d).all(axis=(0, 2, 3))
    if not finite.all():
        raise ValueError(f"{video}: the lifter {lifter_name} returned non-finite 3D (NaN or inf) in "
                         f"{np.count_nonzero(~finite)} of {len(finite)} frames; its weights are broken")


class Pipeline:
    """Processes videos one after another with one loaded lifter.

    lifter: callable ``Track2D -> (T, 17, 3)`` metres (see ``lifters.api``), with a ``description`` and the
    ``name`` that ``--lifter`` takes for it.
    """

    def __init__(self, lifter: Callable[[Track2D], np.ndarray], options: RunOptions):
        self.lifter = lifter
        self.options = options

    def run(self, video: str | Path, output_name: str | None = None) -> VideoResult:
        """Process one video into ``<output_dir>/<output_name or stem>/``, all outputs or none (``OutputSet``)."""
        start = time.perf_counter()
        timer = StageTimer()
        reader = VideoReader(video)
        stem = output_name or reader.path.stem
        output_dir = Path(self.options.output_dir) / stem
        check_replaceable(output_dir, [reader.path])  # before the 2D pass, not after it
        tracks, image_size = detect_people(reader, self.options, timer)
        warn_about_lost_frames(reader, tracks.num_frames)
        with timer("2d"):
            tracks, flip_corrected_frames = correct_left_right_flips(tracks)
        num_frames = tracks.num_frames
        with timer("lift"):
            keypoints_2d, scores_2d, normalized, keypoints_3d = lift_people(self.lifter, tracks, image_size,
                                                                            reader.fps)
        check_finite(keypoints_3d, self.lifter.name, reader.path)
        with timer("world"):
            camera = clip_intrinsics(image_size, self.options.focal_px, reader.path)
            scene = build_scene(keypoints_3d, keypoints_2d, scores_2d, tracks.valid, camera, reader.fps)

        clip = ClipKeypoints(keypoints_2d, scores_2d, keypoints_3d, tracks.valid, tracks.track_ids, reader.fps,
                             image_size, self.lifter.name, root_camera=scene.root_camera,
                             keypoints_3d_camera=scene.keypoints_camera, keypoints_3d_world=scene.keypoints_world,
                             foot_contacts=scene.contacts, person_scale=scene.person_scale,
                             camera_matrix=camera.matrix(), world_from_camera=scene.world_from_camera(),
                             focal_source=camera.source)
        try:
            with OutputSet(output_dir, [reader.path]) as staging:
                save_keypoints(staging / f"{stem}_keypoints.npz", clip)
                self._render(reader, clip, scene, staging, stem, timer)
                with timer("encode"):
                    copy_audio(reader.path, staging / f"{stem}.mp4")
                with timer("export"):
                    write_exports(clip, staging, stem, self.options.exports)
        except (OutputError, OSError) as error:  # disk full, encoder failure, folder changed under the run
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise OutputError(f"{reader.path}: {reason}; {output_dir} was left as it was") from None
        return VideoResult(reader.path, output_dir, num_frames, tracks.valid.sum(1).tolist(),
                           time.perf_counter() - start, dict(timer.seconds), int(flip_corrected_frames.sum()),
                           f"{camera.focal_px:.0f} px ({camera.source})")

    def _render(self, reader: VideoReader, clip: ClipKeypoints, scene: Scene, folder: Path, stem: str,
                timer: StageTimer) -> None:
        """Pass 2: decode again, draw both panels, encode ``<folder>/<stem>.mp4`` (and ``.gif``)."""
        renderer = SideBySideRenderer(*clip.image_size, azimuth=self.options.azimuth,
                                      elevation=self.options.elevation,
                                      bounds=framing(scene.keypoints_world, clip.valid),
                                      camera_position=scene.camera_position, camera_forward=scene.rotation[:, 2],
                                      raised_support=scene.raised_support)
        composites = _composites(reader, clip, scene, renderer, self.options, timer)
        if self.options.parallel:
            composites = run_ahead(composites, QUEUE_FRAMES)
        gif = GifWriter(folder / f"{stem}.gif", reader.fps) if self.options.gif else contextlib.nullcontext()
        with Mp4Writer(folder / f"{stem}.mp4", reader.fps, renderer.size) as mp4, gif:
            progress = _progress_bar(self.options, None, clip.num_frames, f"3D  {reader.path.name}")
            for composite in composites:
                with timer("encode"):
                    mp4.write(composite)
                    if self.options.gif:
                        gif.write(composite)
                progress.update()
            progress.close()


def _composites(reader: VideoReader, clip: ClipKeypoints, scene: Scene, renderer: SideBySideRenderer,
                options: RunOptions, timer: StageTimer) -> Iterator[np.ndarray]:
    """The side-by-side frames of the clip (``renderer``'s RGB uint8), one per frame of ``clip``, from a second
    decode of the video."""
    trail_length = max(1, round(TRAIL_SECONDS * reader.fps))
    frames = _decoded(reader, options, timer)
    frame = None
    try:
        for index in range(clip.num_frames):
            # A second decode can end early on damaged files: hold the last frame so no output frame is lost.
            frame = next(frames, frame)
            if frame is None:
                raise InputError(f"{reader.path}: the video could not be decoded a second time")
            with timer("render"):
                composite = renderer(frame, clip.keypoints_2d[:, index], clip.scores_2d[:, index],
                                     clip.valid[:, index], scene.keypoints_world[:, index], clip.track_ids,
                                     trails(scene, clip.valid, index, trail_length))
            yield composite
    finally:
        frames.close()
