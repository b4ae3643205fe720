"""BlazePose's landmark model on given regions of a frame: one person per region, any number of regions per frame.

MediaPipe's own pose solution follows one person: its detector finds a region once, then each frame's landmarks
give the next frame's region. Here the regions come from outside (a person detector, or each person's previous
landmarks), so several people can be followed at once. The model is MediaPipe's ``PoseLandmarkByRoiCpu`` subgraph
with the bundled ``pose_landmark_full.tflite`` (mediapipe==0.10.21, Apache-2.0): it warps the rotated square region
to 256×256, runs the landmark network, and maps the landmarks back to the frame; its world landmarks are rotated
back by the region's rotation. Nothing is downloaded.

A region is BlazePose's ROI: a square of ``size`` pixels centred on ``centre`` (the hip centre when it comes from
landmarks), turned by ``rotation`` radians clockwise in the image (0 = the person upright). From landmarks it is
built as MediaPipe's ``PoseLandmarksToRoi`` does: centre = the first auxiliary landmark (hip centre), side =
2.5 × its distance to the second (a point on the circle around the whole body), rotation = the angle of that
vector from straight up.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detectors.base import NUM_COCO_JOINTS
from detectors.blazepose import BLAZEPOSE_TO_COCO, native_stderr_silenced

# MediaPipe's PoseLandmarksToRoi: the body circle's diameter, enlarged by the 1.25 margin used in training.
ROI_SCALE = 2 * 1.25
_GRAPH = """
input_stream: "image"
input_stream: "roi"
input_side_packet: "model_complexity"
input_side_packet: "enable_segmentation"
output_stream: "landmarks"
output_stream: "auxiliary_landmarks"
output_stream: "world_landmarks"
output_stream: "segmentation_mask"
node {
  calculator: "PoseLandmarkByRoiCpu"
  input_side_packet: "MODEL_COMPLEXITY:model_complexity"
  input_side_packet: "ENABLE_SEGMENTATION:enable_segmentation"
  input_stream: "IMAGE:image"
  input_stream: "ROI:roi"
  output_stream: "LANDMARKS:landmarks"
  output_stream: "AUXILIARY_LANDMARKS:auxiliary_landmarks"
  output_stream: "WORLD_LANDMARKS:world_landmarks"
  output_stream: "SEGMENTATION_MASK:segmentation_mask"
}
"""


@dataclass(frozen=True)
class PoseRegion:
    """A rotated square of the frame holding one person: centre (2,) px, side px, rotation rad (clockwise)."""

    centre: np.ndarray
    size: float
    rotation: float

    @classmethod
    def from_alignment_points(cls, centre: np.ndarray, circle_point: np.ndarray) -> "PoseRegion":
        """BlazePose's region from the hip centre and a point on the circle around the body (pixels)."""
        vector = np.asarray(circle_point, np.float64) - np.asarray(centre, np.float64)
        rotation = np.pi / 2 - np.arctan2(-vector[1], vector[0])
        rotation = (rotation + np.pi) % (2 * np.pi) - np.pi
        return cls(np.asarray(centre, np.float64), float(ROI_SCALE * np.linalg.norm(vector)), float(rotation))

    def scaled(self, factor: float) -> "PoseRegion":
        return PoseRegion(self.centre, self.size * factor, self.rotation)


@dataclass(frozen=True)
class Silhouette:
    """The pixels one person covers, from BlazePose's segmentation: mask (h, w) bool, whose top-left pixel is at
    ``offset`` (2,) int px (x, y) in the frame."""

    mask: np.ndarray
    offset: np.ndarray

    def covers(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) px → (N,) bool: which points fall on these pixels."""
        pixel = np.floor(points).astype(int) - self.offset
        inside = ((pixel >= 0) & (pixel < self.mask.shape[::-1])).all(axis=1)
        covered = np.zeros(len(points), bool)
        covered[inside] = self.mask[pixel[inside, 1], pixel[inside, 0]]
        return covered


def _common_part(offset: np.ndarray, shape: tuple[int, ...], other_offset: np.ndarray,
                 other_shape: tuple[int, ...]) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """Where two images placed in the frame (top-left pixel at ``offset`` (x, y) px, ``shape`` (h, w, ...)) meet:
    (rows, columns) slices into each, or None if they do not."""
    low = np.maximum(offset, other_offset)
    high = np.minimum(offset + np.array(shape[1::-1]), other_offset + np.array(other_shape[1::-1]))
    if np.any(high <= low):
        return None
    return tuple((slice(low[1] - corner[1], high[1] - corner[1]), slice(low[0] - corner[0], high[0] - corner[0]))
                 for corner in (offset, other_offset))


@dataclass
class PersonLandmarks:
    """BlazePose's result for one region.

    keypoints: (17, 2) float32 pixels, COCO-17. scores: (17,) float32 visibilities in [0, 1].
    world_keypoints: (17, 3) float32 metres, COCO-17, hip-centred, camera-aligned axes (x right, y down, z away).
    next_region: the region to look in on the next frame (from the auxiliary landmarks).
    silhouette: the person's pixels, where segmentation was asked for.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    world_keypoints: np.ndarray
    next_region: PoseRegion
    silhouette: Silhouette | None = None


def crop_bounds(region: PoseRegion, frame_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The part of a frame of ``frame_shape`` (H, W, ...) that the rotated square can reach: (low, high) (2,) int
    px (x, y), the crop being ``frame[low[1]:high[1], low[0]:high[0]]``; less than 2 px on a side where the region
    lies outside the frame. Only this part goes to the graph: copying whole HD frames into MediaPipe packets cost
    more than the network."""
    reach = region.size / np.sqrt(2)
    low = np.clip(np.floor(region.centre - reach), 0, None).astype(int)
    high = np.minimum(np.ceil(region.centre + reach).astype(int), frame_shape[1::-1])
    return low, high


class BlazePoseLandmarker:
    """(frame BGR uint8 (H, W, 3), regions) → per region ``PersonLandmarks``, or None where the model finds nobody.

    min_presence: the model's pose-presence score below which a region holds nobody (MediaPipe's
        ``min_tracking_confidence``, 0.5 in its pose solution).
    Per region, optionally: ``hidden``, silhouettes of other people painted grey in its crop first (as the eval
    set's baseline masks the other person: the model then cannot take their limbs for this person's), and
    ``segment``, whether to return the person's silhouette (a second graph with segmentation on: it costs about
    40 % more a call, so only people near someone else ask for it).
    Regions are processed one after another. Close it (or use ``with``) when done.
    """

    name = "BlazePose landmarks (MediaPipe 0.10.21, embedded)"

    def __init__(self, min_presence: float = 0.5):
        self.min_presence = min_presence
        self._graphs = {}  # segmentation on → its graph, started on first use
        self._rect_type = None

    def start(self, segment: bool = False) -> None:
        """Load the graph (with segmentation or without) now and run it once on a blank crop (the first call
        otherwise takes about a tenth of a second longer). Regions' landmarks do not depend on earlier calls: the
        graph keeps no state between them."""
        if segment in self._graphs:
            return
        from mediapipe.framework.formats import rect_pb2
        from mediapipe.python.solution_base import SolutionBase

        # The graph's C++ parts log to stderr as they start (on its own threads, until the first call returns)
        # and on some frames; keep it quiet.
        with native_stderr_silenced():
            self._rect_type = rect_pb2.NormalizedRect
            graph = SolutionBase(
                graph_config=_GRAPH, side_inputs={"model_complexity": 1, "enable_segmentation": segment},
                calculator_params={
                    "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator.threshold":
                        self.min_presence})
            graph.process({"image": np.zeros((256, 256, 3), np.uint8),
                           "roi": self._rect_type(x_center=0.5, y_center=0.5, width=1.0, height=1.0)})
            self._graphs[segment] = graph

    def __call__(self, frame_bgr: np.ndarray, regions: list[PoseRegion],
                 hidden: list[list[Silhouette]] | None = None,
                 segment: list[bool] | None = None) -> list[PersonLandmarks | None]:
        hidden = hidden or [[] for _ in regions]
        segment = segment or [False] * len(regions)
        results = []
        for region, others, with_silhouette in zip(regions, hidden, segment):
            low, high = crop_bounds(region, frame_bgr.shape)
            if np.any(high - low < 2):  # the region lies outside the frame
                results.append(None)
                continue
            crop = cv2.cvtColor(frame_bgr[low[1]:high[1], low[0]:high[0]], cv2.COLOR_BGR2RGB)
            paint_grey(crop, low, others)
            results.append(self.on_crop(crop, region, low, with_silhouette))
        return results

    def on_crop(self, crop_rgb: np.ndarray, region: PoseRegion, low: np.ndarray,
                segment: bool = False) -> PersonLandmarks | None:
        """The landmarks in ``region`` (frame px) from the RGB uint8 crop (h, w, 3) of the frame whose corner is at
        ``low`` (2,) int px, as cut by ``crop_bounds`` (and painted by ``paint_grey``); None where the model finds
        nobody. ``segment``: with the person's silhouette."""
        self.start(segment)
        height, width = crop_rgb.shape[:2]
        centre = region.centre - low
        roi = self._rect_type(x_center=centre[0] / width, y_center=centre[1] / height,
                              width=region.size / width, height=region.size / height, rotation=region.rotation)
        with native_stderr_silenced():
            output = self._graphs[segment].process({"image": crop_rgb, "roi": roi})
        return None if output.landmarks is None else _person(output, width, height, low)

    def close(self) -> None:
        for graph in self._graphs.values():
            graph.close()
        self._graphs = {}

    def __enter__(self) -> "BlazePoseLandmarker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


GREY = 127  # the colour hidden pixels are painted (the eval set's baseline's choice)


def paint_grey(crop: np.ndarray, crop_offset: np.ndarray, silhouettes: list[Silhouette]) -> None:
    """Paint the silhouettes' pixels grey in ``crop`` (h, w, 3), whose top-left pixel is at ``crop_offset`` px."""
    for silhouette in silhouettes:
        common = _common_part(crop_offset, crop.shape, silhouette.offset, silhouette.mask.shape)
        if common is not None:
            crop[common[0]][silhouette.mask[common[1]]] = GREY


def _person(output, width: int, height: int, offset: np.ndarray) -> PersonLandmarks:
    """The graph's landmark protos on a (width, height) crop whose corner is at ``offset`` px in the frame →
    ``PersonLandmarks`` in frame pixels and metres, COCO-17."""
    scale = np.array([width, height], np.float64)
    landmarks = output.landmarks.landmark
    coco = list(BLAZEPOSE_TO_COCO)
    xy = np.array([(point.x, point.y) for point in landmarks])[coco] * scale + offset
    visibility = np.array([point.visibility for point in landmarks])[coco]
    world = np.array([(point.x, point.y, point.z) for point in output.world_landmarks.landmark])[coco]
    auxiliary = np.array([(point.x, point.y) for point in output.auxiliary_landmarks.landmark]) * scale + offset
    silhouette = None
    if output.segmentation_mask is not None:
        silhouette = Silhouette(np.asarray(output.segmentation_mask).reshape(height, width) > 0.5, offset.copy())
    return PersonLandmarks(keypoints=xy.astype(np.float32).reshape(NUM_COCO_JOINTS, 2),
                           scores=np.clip(visibility, 0, 1).astype(np.float32),
                           world_keypoints=world.astype(np.float32),
                           next_region=PoseRegion.from_alignment_points(auxiliary[0], auxiliary[1]),
                           silhouette=silhouette)
