"""The YOLO person detector (random weights from a model yaml) and the pure-PyTorch NMS behind it."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from detectors.torch_ops import ensure_torchvision_nms, nms
from detectors.yolo import YoloPersonDetector

# Two boxes overlapping with IoU 81/119 ≈ 0.68, and one apart.
BOXES = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0]])
SCORES = torch.tensor([0.8, 0.9, 0.7])


@pytest.mark.parametrize("threshold, expected", [(0.5, [1, 2]), (0.68, [1, 2]), (0.7, [1, 0, 2])])
def test_nms_by_hand(threshold, expected):
    kept = nms(BOXES, SCORES, threshold)
    assert kept.dtype == torch.int64
    assert kept.tolist() == expected


def test_nms_of_nothing():
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).tolist() == []


def test_torchvision_nms_works_after_the_fallback():
    ensure_torchvision_nms()
    import torchvision

    assert torchvision.ops.nms(BOXES, SCORES, 0.5).tolist() == [1, 2]
    assert ensure_torchvision_nms() is ensure_torchvision_nms()  # registered once per process


@pytest.fixture(scope="module")
def detector():
    torch.manual_seed(0)
    # Random weights detect nothing real; confidence 0 makes them return boxes to check the plumbing.
    return YoloPersonDetector("yolo11n.yaml", confidence=0.0, image_size=128, device="cpu", max_detections=7,
                              frames_per_forward=2)


def test_configured_offline(detector):
    assert os.environ["YOLO_OFFLINE"] == "1" and os.environ["YOLO_AUTOINSTALL"] == "False"
    assert detector.name == "YOLO yolo11n"
    assert YoloPersonDetector("yolo11n.yaml", device="cpu").frames_per_forward == 1  # batching does not pay on CPUs


def test_detector_batches_frames_and_returns_person_boxes(detector):
    batch_sizes = []
    hook = detector.model.model.register_forward_hook(lambda module, inputs, output: batch_sizes.append(
        len(inputs[0])))
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (96, 160, 3), dtype=np.uint8) for _ in range(3)]
    try:
        detections = detector(frames)
    finally:
        hook.remove()
    assert batch_sizes == [2, 1]
    assert len(detections) == 3
    for boxes, scores in detections:
        assert boxes.dtype == np.float32 and scores.dtype == np.float32
        assert boxes.shape == (len(scores), 4) and 0 < len(scores) <= 7
        assert np.all(np.diff(scores) <= 0)
        assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 2] <= 160) and np.all(boxes[:, 3] <= 96)
        assert np.all(boxes[:, 2:] >= boxes[:, :2])


def test_detector_with_no_frames(detector):
    assert detector([]) == []


def test_missing_weights_are_an_error_not_a_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="YOLO weights not found: .*yolo11n.pt \\(nothing is downloaded"):
        YoloPersonDetector(tmp_path / "yolo11n.pt")
    with pytest.raises(ValueError, match="must be a .pt file or a model .yaml"):
        YoloPersonDetector(tmp_path / "yolo11n.onnx")
