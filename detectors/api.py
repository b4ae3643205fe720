"""Choosing the 2D stage from the CLI's ``--detector``, ``--pose2d`` and ``--max-people``.

``--detector``: auto | blazepose (BlazePose's own detector, one person) | yolo | hog | a YOLO ``.pt`` path or
registry name. ``--pose2d``: auto | blazepose | hrnet | an HRNet checkpoint path or registry name.
'auto' never downloads: it uses YOLO + HRNet when both files are in the model cache, else the embedded BlazePose;
for several people without YOLO weights it uses OpenCV's HOG detector with BlazePose (or HRNet, if present) on
each box. Naming 'yolo' or 'hrnet' picks the best file in the cache, or fetches the default one through
``weights.registry`` (a clear error when offline).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from weights.registry import ModelFileError, cache_dir, resolve
from weights.safe_pickle import TENSOR_DATA, YOLO_ATTRIBUTES, YOLO_MODEL, UnsafeModelFile, check_model_file

# The model code (torch, mediapipe, ultralytics) is imported where a model is built, so that choosing and checking
# the options answers without loading it (the CLI reports option errors in well under 2 s).

DETECTORS = ("auto", "blazepose", "yolo", "hog")
POSE_MODELS = ("auto", "blazepose", "hrnet")
# Registry names, best first (COCO val AP of the published models); the last one is fetched when none is cached.
YOLO_FILES = ("yolo11s.pt", "yolov8s.pt", "yolo11n.pt", "yolov8n.pt")
DEFAULT_YOLO = "yolo11n.pt"
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


def choose_models(detector: str, pose2d: str, max_people: int) -> tuple[str, str]:
    """Resolve 'auto' → (detector, pose2d) names or files, from the options and the files in the cache."""
    if detector not in DETECTORS and Path(detector).suffix != ".pt":
        raise ValueError(f"unknown --detector {detector!r}: choose {', '.join(DETECTORS)} or a YOLO .pt file")
    if pose2d not in POSE_MODELS and Path(pose2d).suffix not in (".pth", ".pt"):
        raise ValueError(f"unknown --pose2d {pose2d!r}: choose {', '.join(POSE_MODELS)} or an HRNet .pth file")
    yolo_file, hrnet_file = cached_file(YOLO_FILES), cached_file(HRNET_FILES)
    if detector == "blazepose" and pose2d not in ("auto", "blazepose"):
        raise ValueError(f"--pose2d {pose2d} needs person boxes: use --detector yolo or hog with it")
    if detector == "blazepose" and max_people > 1:
        raise ValueError("BlazePose's own detector follows one person; for --max-people > 1 use --detector "
                         "yolo or hog")
    if detector == "auto" and pose2d == "auto":
        if yolo_file and hrnet_file:
            return str(yolo_file), str(hrnet_file)
        if max_people == 1:
            return "blazepose", "blazepose"
    if pose2d == "auto":
        pose2d = "blazepose" if detector == "blazepose" else str(hrnet_file or "blazepose")
    if detector == "auto":
        needs_boxes = pose2d != "blazepose" or max_people > 1
        detector = str(yolo_file or "hog") if needs_boxes else "blazepose"
    return detector, pose2d


def resolve_model_files(detector: str, pose2d: str) -> tuple[str, str]:
    """``choose_models``' result with 'yolo', 'hrnet' and registry names replaced by local files (fetched through
    the registry when needed), each checked by ``weights.safe_pickle`` before anything loads it. Errors as
    ValueError, one line."""
    if detector not in ("blazepose", "hog"):
        path = weights_file(str(cached_file(YOLO_FILES) or DEFAULT_YOLO) if detector == "yolo" else detector,
                            "--detector")
        _check_pickle(path, "--detector", YOLO_MODEL, YOLO_ATTRIBUTES)
        detector = str(path)
    if pose2d != "blazepose":
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


def build_pose_estimator(detector: str = "auto", pose2d: str = "auto", max_people: int = 1,
                         device: str | None = None):
    """Return a callable ``estimator(frames: list[BGR uint8]) -> list[FramePoses]`` with a ``name`` and ``close()``,
    and print one line saying which models run. ``device``: torch device of YOLO/HRNet (default: CUDA if any)."""
    from detectors.blazepose import BlazePoseEstimator
    from detectors.blazepose_crops import BlazePoseOnCrops
    from detectors.hog import HogPersonDetector
    from detectors.two_stage import DetectThenPose
    from detectors.yolo import YoloPersonDetector

    if max_people < 1:
        raise ValueError(f"--max-people must be at least 1, got {max_people}")
    detector, pose2d = resolve_model_files(*choose_models(detector, pose2d, max_people))
    if detector == "blazepose":
        estimator = BlazePoseEstimator()
    else:
        person_detector = (HogPersonDetector() if detector == "hog"
                           else YoloPersonDetector(detector, device=device))
        keypoint_model = BlazePoseOnCrops() if pose2d == "blazepose" else build_hrnet(Path(pose2d), device)
        estimator = DetectThenPose(person_detector, keypoint_model)
    print(f"2D stage: {estimator.name}", file=sys.stderr)
    return estimator
