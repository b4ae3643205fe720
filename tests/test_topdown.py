"""Top-down pre/post-processing against the official HRNet functions, and the batched estimator."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from detectors import topdown
from conftest import SHARED

CASES = SHARED / "fixtures" / "hrnet_prepost_cases.npz"
needs_cases = pytest.mark.skipif(not CASES.exists(), reason="../shared/fixtures/hrnet_prepost_cases.npz not available")


@pytest.fixture(scope="module")
def cases():
    with np.load(CASES, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["meta"] = json.loads(str(arrays.pop("cases_json")))
    return arrays


@needs_cases
@pytest.mark.parametrize("variant", ["official", "seed"])
def test_center_scale_and_affines_match_official(cases, variant):
    input_size = tuple(cases["meta"]["input_size_wh"])
    heatmap_size = tuple(cases["meta"]["heatmap_size_wh"])
    for case in cases["meta"]["cases"]:
        frame_width, frame_height = case["frame_wh"]
        # The seeds pass the frame's height/width where the model's width/height belong (det2d.md §1.4).
        aspect = input_size[0] / input_size[1] if variant == "official" else frame_height / frame_width
        expected = case[variant]
        center, scale = topdown.box_to_center_scale(np.array(case["box_xyxy"]), aspect)
        np.testing.assert_allclose(center, expected["center"], atol=1e-6)
        np.testing.assert_allclose(scale, expected["scale"], atol=1e-6)
        np.testing.assert_allclose(topdown.affine_to_output(center, scale, input_size),
                                   expected["affine_img_to_input"], atol=1e-4)
        np.testing.assert_allclose(topdown.affine_from_output(center, scale, heatmap_size),
                                   expected["affine_heatmap_to_img"], atol=1e-4)


@needs_cases
def test_decoding_matches_official(cases):
    coords, peaks = topdown.argmax_heatmaps(cases["heatmaps"])
    np.testing.assert_array_equal(coords, cases["argmax_coords_heatmap"])
    np.testing.assert_array_equal(peaks, cases["maxvals"][..., 0])
    for refine, expected in [(True, "preds_postprocess"), (False, "preds_no_postprocess")]:
        keypoints, scores = topdown.decode_heatmaps(cases["heatmaps"], cases["decode_center"].astype(np.float64),
                                                    cases["decode_scale"].astype(np.float64), refine=refine)
        np.testing.assert_allclose(keypoints, cases[expected], atol=1e-4)
        np.testing.assert_array_equal(scores, cases["maxvals"][..., 0])


@needs_cases
def test_flip_back_matches_official(cases):
    mirrored = torch.from_numpy(cases["heatmaps"])
    np.testing.assert_array_equal(topdown.flip_back(mirrored, shift=False).numpy(), cases["flip_back"])
    np.testing.assert_array_equal(topdown.flip_back(mirrored).numpy(), cases["flip_back_shifted"])


def test_quarter_pixel_shift_by_hand():
    heatmaps = np.zeros((1, 2, 8, 8), np.float32)
    heatmaps[0, 0, 4, 3] = 1.0      # peak at x=3, y=4; right and lower neighbours higher → +¼, +¼
    heatmaps[0, 0, 4, 4] = 0.5
    heatmaps[0, 0, 5, 3] = 0.5
    heatmaps[0, 1, 1, 3] = 1.0      # y=1 is on the border (the test is 1 < y): no shift
    heatmaps[0, 1, 1, 4] = 0.5
    coords, _ = topdown.argmax_heatmaps(heatmaps)
    np.testing.assert_array_equal(topdown.quarter_pixel_refine(heatmaps, coords), [[[3.25, 4.25], [3.0, 1.0]]])


def test_non_positive_peak_gives_zero_coordinates():
    heatmaps = -np.ones((1, 1, 4, 4), np.float32)
    heatmaps[0, 0, 2, 3] = -0.5
    coords, peaks = topdown.argmax_heatmaps(heatmaps)
    np.testing.assert_array_equal(coords, [[[0.0, 0.0]]])
    np.testing.assert_array_equal(peaks, [[-0.5]])


def test_crop_is_rgb_with_imagenet_statistics():
    frame = np.zeros((40, 40, 3), np.uint8)
    frame[..., 2] = 255  # pure red in BGR
    affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    crop = topdown.crop_and_normalize(frame, affine, (8, 12))
    assert crop.shape == (3, 12, 8) and crop.dtype == np.float32
    np.testing.assert_allclose(crop[:, 0, 0], [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0 - 0.406) / 0.225],
                               rtol=1e-6)


def test_crop_geometry_keeps_model_aspect_and_padding():
    box = np.array([100.0, 50.0, 140.0, 170.0])  # 40×120 px: narrower than 3:4, so the width grows to 90 px
    center, scale = topdown.box_to_center_scale(box, 192 / 256)
    np.testing.assert_allclose(center, [120.0, 110.0])
    np.testing.assert_allclose(scale * topdown.PIXEL_STD, [90.0 * 1.25, 120.0 * 1.25])
    affine = topdown.affine_to_output(center, scale, (192, 256))
    np.testing.assert_allclose(affine @ [120.0, 110.0, 1.0], [96.0, 128.0])           # centre ↦ input centre
    np.testing.assert_allclose(affine @ [120.0, 110.0 + 75.0, 1.0], [96.0, 256.0])    # 1.25×box height fills it


class BrightnessHeatmaps(nn.Module):
    """Stand-in for HRNet: every joint's heatmap is the crop's red channel sampled every 4th pixel, so heatmap
    cell k sits exactly on input pixel 4k, as the decoding assumes."""

    def __init__(self):
        super().__init__()
        self.batch_sizes = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(len(images))
        return images[:, :1, ::4, ::4].repeat(1, 17, 1, 1)


def frame_with_spot(x: int, y: int) -> np.ndarray:
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[y - 5:y + 5, x - 5:x + 5] = 255
    return frame


@pytest.mark.parametrize("flip_test", [False, True])
def test_estimator_batches_all_crops_and_maps_back_to_pixels(flip_test):
    model = BrightnessHeatmaps()
    estimator = topdown.TopDownPoseEstimator(model, (48, 64), flip_test=flip_test)
    frames = [frame_with_spot(60, 80), frame_with_spot(200, 150), frame_with_spot(150, 120)]
    boxes = [np.zeros((0, 4), np.float32),
             np.array([[170, 100, 230, 210], [10, 10, 40, 60]], np.float32),
             np.array([[120, 60, 180, 200]], np.float32)]
    results = estimator(frames, boxes)
    assert model.batch_sizes == [6 if flip_test else 3]  # one forward for every crop (and its mirror)
    assert [keypoints.shape for keypoints, _ in results] == [(0, 17, 2), (2, 17, 2), (1, 17, 2)]
    assert [scores.shape for _, scores in results] == [(0, 17), (2, 17), (1, 17)]
    for (keypoints, _), box, spot in [(results[1], boxes[1][0], (200, 150)), (results[2], boxes[2][0], (150, 120))]:
        _, scale = topdown.box_to_center_scale(box, 48 / 64)
        heatmap_cell = 4 * scale[0] * topdown.PIXEL_STD / 48  # image px per heatmap pixel (10.7 and 10.9 here)
        np.testing.assert_allclose(keypoints[0], np.tile(spot, (17, 1)), atol=heatmap_cell)
    assert results[1][1][0].min() > results[1][1][1].max()  # the empty box scores lower than the spot


def test_estimator_without_boxes_skips_the_network():
    model = BrightnessHeatmaps()
    results = topdown.TopDownPoseEstimator(model, (48, 64))([frame_with_spot(60, 80)], [np.zeros((0, 4))])
    assert model.batch_sizes == [] and results[0][0].shape == (0, 17, 2)


def test_estimator_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="got 1 frames but 2 box arrays"):
        topdown.TopDownPoseEstimator(BrightnessHeatmaps(), (48, 64))([frame_with_spot(60, 80)],
                                                                      [np.zeros((0, 4))] * 2)
