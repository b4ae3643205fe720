"""Make torchvision importable when its compiled ops cannot load (``environment.md`` §2.2).

The package registry's only torchvision for torch 2.13 (0.28.0) is a CUDA build: with the CPU torch wheel its
``_C.so`` fails to load and ``import torchvision`` dies on ``operator torchvision::nms does not exist``. ultralytics
imports torchvision before every prediction, and YOLO needs only ``nms`` from it, so we register a pure-PyTorch
``torchvision::nms`` (and ``qnms``) before torchvision is first imported. Nothing is registered when the compiled
ops load (a CPU or matching CUDA build) or when torchvision is absent.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import torch


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression with ``torchvision.ops.nms`` semantics.

    boxes: (N, 4) x1 y1 x2 y2; scores: (N,). Returns int64 indices of the kept boxes, by decreasing score; a box is
    dropped when its IoU with a kept, higher-scoring box is > ``iou_threshold``.
    """
    order = scores.argsort(descending=True)
    boxes = boxes[order].float()
    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    keep = []
    remaining = torch.arange(len(boxes))
    while len(remaining):  # one IoU row per kept box: memory stays O(N) with tens of thousands of candidates
        best, rest = remaining[0], remaining[1:]
        keep.append(best)
        top_left = torch.maximum(boxes[best, :2], boxes[rest, :2])
        bottom_right = torch.minimum(boxes[best, 2:], boxes[rest, 2:])
        intersection = (bottom_right - top_left).clamp(min=0).prod(-1)
        iou = intersection / (areas[best] + areas[rest] - intersection).clamp(min=1e-9)
        remaining = rest[iou <= iou_threshold]
    return order[torch.stack(keep)] if keep else torch.zeros(0, dtype=torch.int64)


def compiled_ops_load(package_dir: Path) -> bool:
    """Whether torchvision's own ``_C`` extension loads into this torch."""
    libraries = sorted(package_dir.glob("_C*.so")) + sorted(package_dir.glob("_C*.pyd"))
    if not libraries:
        return False
    try:
        torch.ops.load_library(str(libraries[0]))
    except (OSError, ImportError, RuntimeError):
        return False
    return True


@functools.cache
def ensure_torchvision_nms() -> torch.library.Library | None:
    """Register the fallback NMS once if torchvision is installed but its compiled ops do not load.

    Must run before the first ``import torchvision``. Returns the ``Library`` holding the definitions (kept alive
    by the cache: the operators disappear when it is garbage-collected), or None when nothing was needed.
    """
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None or compiled_ops_load(Path(spec.origin).parent):
        return None
    library = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        library.define(f"{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        library.impl(name, nms, "CPU")
    import torchvision.extension

    torchvision.extension._has_ops = lambda: True  # torchvision.ops.nms asserts this before calling the operator
    return library
