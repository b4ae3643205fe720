"""Choosing and loading the lifter the pipeline runs: ``load_lifter(spec, device)``.

A lifter is any callable ``lifter(track) -> (T, 17, 3)`` taking a ``Track2D`` and returning float32 metres,
root-relative (pelvis at 0), in the camera frame (x right, y down, z forward), H36M-17 order.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lifters.blazepose3d import BlazePose3DLifter
from lifters.checkpoints import LifterCheckpoint, read_checkpoint
from lifters.names import PUBLISHED_FILES, lifter_checkpoint
from lifters.official import build
from lifters.runner import CentreFrameLifter, SequenceLifter, WindowLifter

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
# The project's own lifter (trained on synthetic motion, see weights/README.md). Checkpoint format:
# {"kind": "mixste", "config": {MixSTE2 constructor arguments}, "state_dict": {...}, "meta": {...}}.
DEFAULT_WEIGHTS = WEIGHTS_DIR / "mixste_synthetic.pt"
DEFAULT_CONFIG = dict(num_frame=243, num_joints=17, in_chans=2, embed_dim_ratio=64, depth=4, num_heads=8,
                      mlp_ratio=2.0)
MODEL_NAMES = {"mixste": "MixSTE", "mixste_pool": "MixSTE (PoolFormer mixing)", "strided": "StridedTransformer"}


@dataclass
class Track2D:
    """One person's 2D over a whole clip, ready for lifting.

    keypoints_2d: (T, 17, 2) float32, H36M-17, normalised screen coordinates (gaps already interpolated).
    scores: (T, 17) float32 confidences, 0 where the person was not detected.
    world_keypoints: (T, 17, 3) float32 metres from 2D models that predict 3D themselves, else None.
    fps: the clip's frame rate (frames per second), for lifters that filter in time (blazepose3d); None if unknown.
    """

    keypoints_2d: np.ndarray
    scores: np.ndarray
    world_keypoints: np.ndarray | None = None
    fps: float | None = None


class NetworkLifter:
    """Adapts a ``SequenceLifter`` or ``CentreFrameLifter`` to the ``Track2D`` interface.

    name: what ``--lifter`` takes to run this lifter again (a name, or the checkpoint's absolute path).
    """

    def __init__(self, runner: WindowLifter, description: str, name: str):
        self.runner = runner
        self.description = description
        self.name = name

    def __call__(self, track: Track2D) -> np.ndarray:
        return self.runner(track.keypoints_2d)


def auto_lifter_spec(detector: str, pose2d: str) -> str:
    """What ``--lifter auto`` runs for a resolved 2D stage (``detectors.api.choose_models``): BlazePose's own 3D
    where BlazePose supplies the keypoints (it measured best on the real clips: README, "Choosing the lifter"),
    else the project's trained MixSTE."""
    return "blazepose3d" if pose2d == "blazepose" else "mixste-synthetic"


def load_lifter(spec: str = "mixste-synthetic", device: str | None = None) -> NetworkLifter | BlazePose3DLifter:
    """``spec``: 'mixste-synthetic' (the project's trained MixSTE; untrained with a warning if its file is missing),
    'blazepose3d' (BlazePose's own world landmarks, see ``lifters.blazepose3d``), 'mixste' or 'strided' (the
    published checkpoints, from the model cache; see weights/registry.toml), or the path of a checkpoint in any
    official format or the project's format."""
    if spec == "mixste-synthetic":
        return _synthetic_lifter(device)
    if spec == "blazepose3d":  # BlazePose's own 3D; needs the 2D stage to be BlazePose
        return BlazePose3DLifter()
    path = lifter_checkpoint(spec)
    if path is None:
        raise ValueError(f"{spec!r} names no lifter by itself; resolve it with auto_lifter_spec first")
    name = spec if spec in PUBLISHED_FILES else str(path.resolve())
    return lifter_from_checkpoint(read_checkpoint(path), path.name, device, name)


def lifter_from_checkpoint(checkpoint: LifterCheckpoint, source: str, device: str | None = None,
                           name: str | None = None) -> NetworkLifter:
    """The runner that fits the checkpoint's model: seq2frame for StridedTransformer, seq2seq for MixSTE.
    ``name``: what ``--lifter`` takes for it (default: ``source``)."""
    if checkpoint.kind == "strided_refine":
        raise ValueError(f"{source} is the StridedTransformer refine module, which needs camera intrinsics and the "
                         "true root depth; pass the no_refine_*.pth file instead")
    module = checkpoint.build()
    if checkpoint.kind == "strided":
        runner = CentreFrameLifter(module, checkpoint.config["frames"], device=device)
    else:
        runner = SequenceLifter(module, checkpoint.config["num_frame"], device=device)
    return NetworkLifter(runner, f"{MODEL_NAMES[checkpoint.kind]} ({source})", name or source)


def _synthetic_lifter(device: str | None) -> NetworkLifter:
    if DEFAULT_WEIGHTS.exists():
        return lifter_from_checkpoint(read_checkpoint(DEFAULT_WEIGHTS), DEFAULT_WEIGHTS.name, device,
                                      "mixste-synthetic")
    warnings.warn(f"{DEFAULT_WEIGHTS} is missing: the lifter runs with UNTRAINED weights, "
                  "so the 3D panel is meaningless", stacklevel=3)
    torch.manual_seed(0)
    module = build("mixste", DEFAULT_CONFIG)
    return NetworkLifter(SequenceLifter(module, DEFAULT_CONFIG["num_frame"], device=device), "MixSTE (untrained)",
                         "mixste-synthetic")
