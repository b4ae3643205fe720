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

from lifters.mixste import MixSTE2
from lifters.runner import SequenceLifter

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
# The project's own lifter (trained on synthetic motion, see weights/README.md). Checkpoint format:
# {"kind": "mixste", "config": {MixSTE2 constructor arguments}, "state_dict": {...}, "meta": {...}}.
DEFAULT_WEIGHTS = WEIGHTS_DIR / "mixste_synthetic.pt"
DEFAULT_CONFIG = dict(num_frame=243, num_joints=17, in_chans=2, embed_dim_ratio=64, depth=4, num_heads=8,
                      mlp_ratio=2.0)


@dataclass
class Track2D:
    """One person's 2D over a whole clip, ready for lifting.

    keypoints_2d: (T, 17, 2) float32, H36M-17, normalised screen coordinates (gaps already interpolated).
    scores: (T, 17) float32 confidences, 0 where the person was not detected.
    world_keypoints: (T, 17, 3) float32 metres from 2D models that predict 3D themselves, else None.
    """

    keypoints_2d: np.ndarray
    scores: np.ndarray
    world_keypoints: np.ndarray | None = None


class NetworkLifter:
    """Adapts a ``SequenceLifter`` to the ``Track2D`` interface."""

    def __init__(self, runner: SequenceLifter, description: str):
        self.runner = runner
        self.description = description

    def __call__(self, track: Track2D) -> np.ndarray:
        return self.runner(track.keypoints_2d)


def load_lifter(spec: str = "default", device: str | None = None) -> NetworkLifter:
    """``spec``: 'default' (the project's trained MixSTE; untrained with a warning if its file is missing)."""
    if spec != "default":
        raise ValueError(f"unknown lifter {spec!r}; choose 'default'")
    if DEFAULT_WEIGHTS.exists():
        checkpoint = torch.load(DEFAULT_WEIGHTS, map_location="cpu", weights_only=True)
        module = MixSTE2(**checkpoint["config"])
        module.load_state_dict(checkpoint["state_dict"], strict=True)
        config, description = checkpoint["config"], f"MixSTE ({DEFAULT_WEIGHTS.name})"
    else:
        warnings.warn(f"{DEFAULT_WEIGHTS} is missing: the lifter runs with UNTRAINED weights, "
                      "so the 3D panel is meaningless", stacklevel=2)
        torch.manual_seed(0)
        module, config, description = MixSTE2(**DEFAULT_CONFIG), DEFAULT_CONFIG, "MixSTE (untrained)"
    return NetworkLifter(SequenceLifter(module, config["num_frame"], device=device), description)
