"""People from an ultralytics YOLO model: person boxes (YOLOv8 / YOLO11 detection ``.pt`` files) or boxes with
COCO-17 keypoints (pose ``.pt`` files such as YOLO11n-pose, the default detector), batched over frames.

ultralytics is configured before its first import so that it never reaches the network (``environment.md`` §2):
``YOLO_OFFLINE=1`` (no connectivity probes or analytics), ``YOLO_AUTOINSTALL=False`` (no pip at run time), and
``YOLO_CONFIG_DIR`` in the system temp folder (its settings file stays out of the user's home), and
``YOLO_VERBOSE=False`` (its exporter and ONNX Runtime loader would print their progress into the CLI's output).
Weights are only ever read from an existing local file; a missing file is an error, never a download. ultralytics
unpickles a ``.pt`` fully (``torch.load(weights_only=False)``), so the file's pickle is checked against an allowlist
first (``weights.safe_pickle``): a file that would run code is refused before ultralytics sees it.

On the CPU a ``.pt``'s network runs on ONNX Runtime (its export cached by ``detectors.yolo_onnx``): 1.3-1.7x faster
a call than eager torch on one thread, the same people (BENCHMARKS.md, "YOLO11n-pose on ONNX Runtime"). Model
``.yaml`` files (random weights) and CUDA run on torch.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from detectors.base import NUM_COCO_JOINTS, FramePoses
from detectors.torch_ops import ensure_torchvision_nms
from lifters.runner import choose_device
from weights.safe_pickle import YOLO_ATTRIBUTES, YOLO_MODEL, check_model_file

PERSON_CLASS = 0


def import_ultralytics_yolo():
    """The ``ultralytics.YOLO`` class, imported offline and with torchvision's NMS made available."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "False"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "video3d-ultralytics"))
    os.environ.setdefault("YOLO_VERBOSE", "False")
    ensure_torchvision_nms()
    from ultralytics import YOLO

    return YOLO


class YoloPersonDetector:
    """Frames → person boxes (and, with a pose model, keypoints), ``frames_per_forward`` frames per network call.

    weights: a YOLO ``.pt`` file (detection or pose model with the COCO classes, class 0 = person), or a model
        ``.yaml`` from ultralytics' configs (e.g. 'yolo11n.yaml': random weights, for tests and benchmarks only).
        A ``.pt`` on the CPU runs on ONNX Runtime, from its ONNX export (made on first use and cached,
        ``detectors.yolo_onnx``); a ``.yaml``, or any model on CUDA, runs on torch.
    confidence: minimum box score; iou: NMS IoU threshold; image_size: the letterboxed input's long side.
    frames_per_forward: frames per network call; default all frames of a call on CUDA, 1 on the CPU, where
        batching gained nothing for yolo11n and cost 25-45 % for yolo11s (BENCHMARKS.md, "2D models").
    threads: ONNX Runtime's intra- and inter-op threads (None: its default, a thread per core); 1 where the
        detector runs on a thread beside other work (the follower's BlazePose calls). Torch runs ignore it
        (torch's thread count is the process's).
    """

    def __init__(self, weights: str | Path, confidence: float = 0.25, iou: float = 0.7, image_size: int = 640,
                 device: str | torch.device | None = None, max_detections: int = 100,
                 frames_per_forward: int | None = None, threads: int | None = None):
        weights = Path(weights)
        if weights.suffix == ".pt" and not weights.is_file():
            raise FileNotFoundError(f"YOLO weights not found: {weights} (nothing is downloaded; "
                                    "pass the path of a local .pt file)")
        if weights.suffix not in (".pt", ".yaml"):
            raise ValueError(f"YOLO weights must be a .pt file or a model .yaml, got {weights}")
        if weights.suffix == ".pt":
            check_model_file(weights, YOLO_MODEL, YOLO_ATTRIBUTES)
        device = choose_device(str(device) if device is not None else None)
        # ultralytics reads a CUDA device as its index.
        self.device = "cpu" if device.type == "cpu" else (device.index or 0)
        self.precision = 16 if device.type == "cuda" else 32  # ultralytics computes in FP32 on the CPU anyway
        self.confidence, self.iou, self.image_size = confidence, iou, image_size
        self.max_detections = max_detections
        self.frames_per_forward = frames_per_forward or (1 if device.type == "cpu" else None)
        yolo = import_ultralytics_yolo()
        if weights.suffix == ".pt" and device.type == "cpu":
            from detectors.yolo_onnx import cached_onnx_session

            onnx_path, session = cached_onnx_session(weights, threads)
            # The export's metadata holds the .pt's task; ultralytics would guess it from the file name.
            self.model = yolo(str(onnx_path), task=session.get_modelmeta().custom_metadata_map["task"])
            self._run_on(session)
            self.name = f"YOLO {weights.stem} on ONNX Runtime"
        else:
            self.model = yolo(str(weights))
            self.name = f"YOLO {weights.stem}"
        self.has_keypoints = self.model.task == "pose"

    def _run_on(self, session) -> None:
        """Make the ONNX model run on ``session`` (an ONNX Runtime ``InferenceSession`` with this detector's threads).

        ultralytics 8.4 makes its own session, with ONNX Runtime's default options (a thread per core), when the
        first predict sets up its predictor, and ``YOLO(...)`` passes no session options on. So a first predict on
        a tiny image sets the predictor up, and its session is swapped for ``session``. ultralytics keeps that
        predictor while the device and precision stay those of the first call, as ``_predict`` always passes them.
        """
        self._predict([np.zeros((32, 32, 3), np.uint8)], image_size=32)
        self.model.predictor.model.backend.session = session

    def _predict(self, frames: list[np.ndarray], image_size: int | None = None) -> list:
        """ultralytics ``Results`` per frame (BGR uint8 (H, W, 3) frames), at ``image_size`` (default: the
        detector's own)."""
        step = self.frames_per_forward or max(len(frames), 1)
        results = []
        for first in range(0, len(frames), step):
            results += self.model.predict(list(frames[first:first + step]), classes=[PERSON_CLASS],
                                          conf=self.confidence, iou=self.iou, imgsz=image_size or self.image_size,
                                          device=self.device, quantize=self.precision, max_det=self.max_detections,
                                          verbose=False)
        return results

    def __call__(self, frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """frames: BGR uint8 (H, W, 3). Returns per frame (boxes (N, 4) x1 y1 x2 y2 px float32, scores (N,) float32),
        by decreasing score."""
        return [(people.boxes, people.box_scores) for people in self.detect_people(frames)]

    def detect_people(self, frames: list[np.ndarray], image_size: int | None = None) -> list[FramePoses]:
        """frames: BGR uint8 (H, W, 3) → the people in each frame, by decreasing box score, with YOLO-pose's own
        COCO-17 keypoints and their confidences for pose models (``has_keypoints``), zero keypoints and scores
        for detection models. ``image_size``: the network input's long side for this call (default: the
        detector's)."""
        people = []
        for result in self._predict(frames, image_size):
            boxes = result.boxes.cpu()
            count = len(boxes)
            keypoints = np.zeros((count, NUM_COCO_JOINTS, 2), np.float32)
            scores = np.zeros((count, NUM_COCO_JOINTS), np.float32)
            if result.keypoints is not None and count:
                keypoints = result.keypoints.xy.cpu().numpy().astype(np.float32).reshape(count, NUM_COCO_JOINTS, 2)
                scores = result.keypoints.conf.cpu().numpy().astype(np.float32).reshape(count, NUM_COCO_JOINTS)
            people.append(FramePoses(boxes=boxes.xyxy.numpy().astype(np.float32).reshape(count, 4),
                                     box_scores=boxes.conf.numpy().astype(np.float32).reshape(count),
                                     keypoints=keypoints, scores=scores))
        return people
