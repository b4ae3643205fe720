"""Top-down 2D keypoints: crop each person box, run a heatmap network on all crops at once, decode.

Pre/post-processing follows the official HRNet code (deep-high-resolution-net.pytorch ``lib/utils/transforms.py``,
``lib/core/inference.py``, ``demo/inference.py``), not the seeds' demo (``det2d.md`` §1.4-1.6):
- the box is widened or heightened to the *model's* aspect ratio (the seeds use the frame's), padded ×1.25;
  ``scale`` is in units of 200 px (``PIXEL_STD``);
- crops are warped with a rotation-free similarity, bilinear, black border;
- colours: BGR → RGB *then* ImageNet mean/std (the seeds normalise BGR with RGB statistics);
- decoding: per-joint argmax, quarter-pixel shift toward the higher neighbour, heatmap → image by the inverse
  affine; the score is the raw heatmap peak;
- optional flip test: mirrored crops run in the same forward, heatmaps flipped back (left/right joints swapped) and
  shifted right by one pixel, then averaged.

Sizes are (width, height) pairs in pixels, like OpenCV.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn

from detectors.base import COCO_FLIP_ORDER

PIXEL_STD = 200.0
BOX_PADDING = 1.25
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def box_to_center_scale(box_xyxy: np.ndarray, aspect_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Box (4,) x1 y1 x2 y2 px → center (2,) px and scale (2,) in 200-px units, fixed to ``aspect_ratio`` = W/H
    of the model input and padded by ``BOX_PADDING``. Both float64."""
    x1, y1, x2, y2 = np.asarray(box_xyxy, np.float64)
    width, height = x2 - x1, y2 - y1
    center = np.array([x1 + width / 2, y1 + height / 2])
    if width > aspect_ratio * height:
        height = width / aspect_ratio
    elif width < aspect_ratio * height:
        width = height * aspect_ratio
    return center, np.array([width, height]) / PIXEL_STD * BOX_PADDING


def affine_to_output(center: np.ndarray, scale: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
    """(2, 3) affine mapping image px → an output grid of ``output_size`` (w, h) px.

    Closed form of the official ``get_affine_transform(center, scale, rot=0, output_size)``: a similarity set by
    ``scale[0]`` alone (source width ``scale[0]·200`` px ↦ ``w``), centre ↦ grid centre.
    """
    zoom = output_size[0] / (scale[0] * PIXEL_STD)
    return np.array([[zoom, 0.0, output_size[0] / 2 - zoom * center[0]],
                     [0.0, zoom, output_size[1] / 2 - zoom * center[1]]])


def affine_from_output(center: np.ndarray, scale: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
    """(2, 3) inverse of ``affine_to_output``: output grid px → image px (``transform_preds``)."""
    step = scale[0] * PIXEL_STD / output_size[0]
    return np.array([[step, 0.0, center[0] - step * output_size[0] / 2],
                     [0.0, step, center[1] - step * output_size[1] / 2]])


def crop_and_normalize(frame_bgr: np.ndarray, affine: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """Warp one frame (H, W, 3) BGR uint8 to the model input → (3, h, w) float32, RGB, ImageNet-normalised."""
    crop = cv2.warpAffine(frame_bgr, affine, input_size, flags=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return ((rgb - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)


def argmax_heatmaps(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (N, J, h, w) → peak coordinates (N, J, 2) float32 heatmap px (x, y) and peak values (N, J) float32.

    Like the official ``get_max_preds``: coordinates are zeroed where the peak value is not positive.
    """
    num, joints, _, width = heatmaps.shape
    flat = heatmaps.reshape(num, joints, -1)
    index = flat.argmax(-1)
    peaks = np.take_along_axis(flat, index[..., None], -1)[..., 0].astype(np.float32)
    coords = np.stack([index % width, index // width], -1).astype(np.float32)
    return coords * (peaks > 0)[..., None], peaks


def quarter_pixel_refine(heatmaps: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Shift each peak ¼ px toward its higher neighbour, per axis; only peaks with 1 < x < w-1 and 1 < y < h-1
    (the official ``get_final_preds`` border test). heatmaps (N, J, h, w), coords (N, J, 2) → (N, J, 2) float64."""
    _, _, height, width = heatmaps.shape
    px = np.floor(coords[..., 0] + 0.5).astype(np.int64)
    py = np.floor(coords[..., 1] + 0.5).astype(np.int64)
    inside = (px > 1) & (px < width - 1) & (py > 1) & (py < height - 1)
    n, j = np.nonzero(inside)
    x, y = px[n, j], py[n, j]
    diff = np.stack([heatmaps[n, j, y, x + 1] - heatmaps[n, j, y, x - 1],
                     heatmaps[n, j, y + 1, x] - heatmaps[n, j, y - 1, x]], -1)
    refined = coords.astype(np.float64)
    refined[n, j] += np.sign(diff) * 0.25
    return refined


def decode_heatmaps(heatmaps: np.ndarray, centers: np.ndarray, scales: np.ndarray,
                    refine: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (N, J, h, w) + per-crop center (N, 2) and scale (N, 2) → keypoints (N, J, 2) float64 image px
    and scores (N, J) float32 (raw peak values)."""
    coords, peaks = argmax_heatmaps(heatmaps)
    coords = quarter_pixel_refine(heatmaps, coords) if refine else coords.astype(np.float64)
    heatmap_size = (heatmaps.shape[3], heatmaps.shape[2])
    keypoints = np.empty_like(coords)
    for crop, (center, scale) in enumerate(zip(centers, scales)):
        affine = affine_from_output(center, scale, heatmap_size)
        keypoints[crop] = coords[crop] @ affine[:, :2].T + affine[:, 2]
    return keypoints, peaks


def flip_back(heatmaps: torch.Tensor, shift: bool = True) -> torch.Tensor:
    """Heatmaps (N, J, h, w) of mirrored crops → heatmaps of the original crops: mirror x, swap COCO left/right
    joints, and (``shift``, the official SHIFT_HEATMAP) move one pixel right to undo the flip's half-pixel offset."""
    restored = heatmaps.flip(3)[:, list(COCO_FLIP_ORDER)]
    if shift:
        restored = torch.cat([restored[..., :1], restored[..., :-1]], dim=3)
    return restored


class TopDownPoseEstimator:
    """Keypoints for given person boxes: all crops of all frames of one call go through a single forward.

    model: maps (B, 3, h, w) normalised RGB crops → (B, 17, h/4, w/4) COCO-17 heatmaps (e.g. ``detectors.hrnet``).
    input_size: (w, h) of the model input, e.g. (192, 256) or (288, 384).
    name: what runs, for the one-line notice (e.g. 'HRNet-W32 256x192').
    """

    def __init__(self, model: nn.Module, input_size: tuple[int, int], device: torch.device | str = "cpu",
                 flip_test: bool = False, name: str = "top-down heatmap model"):
        self.name = name
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)
        self.input_size = tuple(input_size)
        self.aspect_ratio = self.input_size[0] / self.input_size[1]
        self.flip_test = flip_test

    def heatmaps(self, crops: np.ndarray) -> np.ndarray:
        """Crops (N, 3, h, w) float32 → heatmaps (N, 17, h/4, w/4) float32 (flip-averaged if ``flip_test``)."""
        images = torch.from_numpy(crops).to(self.device)
        with torch.inference_mode():
            if self.flip_test:
                both = self.model(torch.cat([images, images.flip(3)]))
                output = (both[:len(images)] + flip_back(both[len(images):])) / 2
            else:
                output = self.model(images)
        return output.float().cpu().numpy()

    def __call__(self, frames: list[np.ndarray], boxes: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """frames: BGR uint8 (H, W, 3); boxes: per frame (N_t, 4) x1 y1 x2 y2 px.

        Returns per frame (keypoints (N_t, 17, 2) float32 px COCO-17, scores (N_t, 17) float32).
        """
        if len(frames) != len(boxes):
            raise ValueError(f"got {len(frames)} frames but {len(boxes)} box arrays")
        counts = [len(frame_boxes) for frame_boxes in boxes]
        if sum(counts) == 0:
            return [(np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32)) for _ in frames]
        centers, scales, crops = [], [], []
        for frame, frame_boxes in zip(frames, boxes):
            for box in frame_boxes:
                center, scale = box_to_center_scale(box, self.aspect_ratio)
                centers.append(center)
                scales.append(scale)
                crops.append(crop_and_normalize(frame, affine_to_output(center, scale, self.input_size),
                                                self.input_size))
        keypoints, scores = decode_heatmaps(self.heatmaps(np.stack(crops)), np.stack(centers), np.stack(scales))
        split = np.cumsum(counts)[:-1]
        return list(zip(np.split(keypoints.astype(np.float32), split), np.split(scores, split)))
