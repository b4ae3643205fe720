"""Choosing the 2D stage, and the detector + keypoint-model compositions (YOLO boxes + HRNet, YOLO-pose keypoints)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from detectors import api, hrnet
from detectors.two_stage import DetectThenPose
from conftest import SHARED

VTEST = SHARED / "media" / "vtest.avi"
needs_vtest = pytest.mark.skipif(not VTEST.exists(), reason="../shared/media/vtest.avi not available")
HRNET_W32 = "td-hm_hrnet-w32_8xb64-210e_coco-256x192-81c58e40_20220909.pth"
HRNET_W48 = "td-hm_hrnet-w48_8xb32-210e_coco-384x288-c161b7de_20220915.pth"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO3D_CACHE", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("files, options, expected", [
    ([], ("auto", "auto", None), ("yolo11n-pose.pt", "blazepose")),
    ([], ("auto", "auto", 1), ("yolo11n-pose.pt", "blazepose")),
    (["yolo11n.pt"], ("auto", "auto", None), ("yolo11n-pose.pt", "blazepose")),
    (["yolo11n.pt"], ("yolo", "auto", None), ("yolo11n.pt", "blazepose")),
    ([HRNET_W32], ("auto", "auto", None), ("yolo11n-pose.pt", "blazepose")),
    (["yolo11n.pt", "yolo11s.pt", HRNET_W32, HRNET_W48], ("auto", "auto", 1), ("yolo11s.pt", HRNET_W48)),
    ([], ("blazepose", "auto", 1), ("blazepose", "blazepose")),
    ([], ("auto", "hrnet", None), ("yolo11n-pose.pt", "hrnet")),
    ([], ("yolo", "yolo", 3), ("yolo11n-pose.pt", "yolo")),
    ([], ("auto", "my_hrnet.pth", None), ("yolo11n-pose.pt", "my_hrnet.pth")),
])
def test_choose_models(cache, files, options, expected):
    for name in files:
        (cache / name).touch()
    detector, pose2d = api.choose_models(*options)
    assert (Path(detector).name, Path(pose2d).name) == expected


@pytest.mark.parametrize("options, message", [
    (("blazepose", "hrnet", 1), "--pose2d hrnet needs a person detector"),
    (("blazepose", "auto", 2), "BlazePose's own detector follows one person"),
    (("yollo", "auto", 1), "unknown --detector 'yollo': choose auto, yolo, blazepose or a YOLO .pt file"),
    (("auto", "vitpose", 1), "unknown --pose2d 'vitpose'"),
])
def test_choose_models_errors(cache, options, message):
    with pytest.raises(ValueError, match=message):
        api.choose_models(*options)


def test_missing_weights_are_a_one_line_value_error(cache):
    with pytest.raises(ValueError, match=r"--pose2d: .*missing.pth: no such file"):
        api.build_pose_estimator("auto", str(cache / "missing.pth"), 2)


def test_yolo_keypoints_need_a_pose_model(cache):
    from detectors.yolo import import_ultralytics_yolo

    import_ultralytics_yolo()("yolo11n.yaml").save(cache / "detection_only.pt")  # random weights, no keypoints
    with pytest.raises(ValueError, match="--pose2d yolo needs a YOLO pose model, and .*detection_only.pt has no "
                                         "keypoints"):
        api.build_pose_estimator(str(cache / "detection_only.pt"), "yolo", device="cpu")


@pytest.mark.parametrize("name, width, expected", [
    (HRNET_W48, 48, (288, 384)), ("pose_hrnet_w32_384x288.pth", 32, (288, 384)), ("mine.pth", 32, (192, 256)),
])
def test_hrnet_input_size(name, width, expected):
    assert api.hrnet_input_size(Path(name), width) == expected


class FakeDetector:
    name = "fake detector"

    def __call__(self, frames):
        return [(np.array([[0, 0, 10, 20], [5, 5, 15, 25]], np.float32), np.array([0.9, 0.6], np.float32))
                for _ in frames]


class FakeKeypoints:
    """Finds a person only in the first box of each frame."""

    name = "fake keypoints"
    closed = False

    def __call__(self, frames, boxes):
        scores = np.zeros((2, 17), np.float32)
        scores[0] = 0.7
        return [(np.ones((len(frame_boxes), 17, 2), np.float32), scores) for frame_boxes in boxes]

    def close(self):
        self.closed = True


def test_detect_then_pose_drops_boxes_without_a_person():
    keypoint_model = FakeKeypoints()
    stage = DetectThenPose(FakeDetector(), keypoint_model)
    assert stage.name == "fake detector + fake keypoints"
    poses = stage([np.zeros((30, 30, 3), np.uint8)] * 2)
    assert [len(frame) for frame in poses] == [1, 1]
    np.testing.assert_array_equal(poses[0].boxes, [[0, 0, 10, 20]])
    np.testing.assert_array_equal(poses[0].box_scores, np.float32([0.9]))
    stage.close()
    assert keypoint_model.closed


@pytest.fixture(scope="module")
def vtest_frame():
    capture = cv2.VideoCapture(str(VTEST))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 80)
    ok, frame = capture.read()
    capture.release()
    assert ok
    return frame


@needs_vtest
def test_yolo_pose_boxes_with_hrnet_checkpoint(cache, vtest_frame, capsys):
    torch.manual_seed(0)
    model = hrnet.build(32)
    with torch.no_grad():
        model.final_layer.bias.fill_(1.0)  # random weights: keep heatmap peaks positive so people are kept
    torch.save({"meta": {}, "state_dict": {f"backbone.{key}" if not key.startswith("final_layer") else
                                           f"head.{key}": value for key, value in model.state_dict().items()}},
               cache / HRNET_W32)
    stage = api.build_pose_estimator("auto", "hrnet", device="cpu")
    assert "2D stage: YOLO yolo11n-pose on ONNX Runtime + HRNet-W32 256x192" in capsys.readouterr().err
    (poses,) = stage([vtest_frame])
    assert len(poses) >= 3 and poses.keypoints.shape == (len(poses), 17, 2)
