"""Running a lifter network over a whole clip: windowing, flip test-time augmentation, batching, device."""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from lifters.skeleton import flip_pose
from lifters.windowing import WindowPlan


def choose_device(requested: str | None = None) -> torch.device:
    """``requested`` if given ('cpu', 'cuda', 'cuda:1', …), else CUDA when available, else CPU."""
    if requested:
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {requested!r} was asked for, but CUDA is not available")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class SequenceLifter:
    """A seq2seq lifter (MixSTE family): (T, 17, 2) normalised 2D → (T, 17, 3) metres, root-relative camera frame.

    module: maps (B, window_size, 17, 2) → (B, window_size, 17, 3).
    overlap: frames shared by neighbouring windows on clips longer than a window (cross-faded).
    flip: average with the mirrored input's un-mirrored output (the official test-time augmentation).
    """

    def __init__(self, module: nn.Module, window_size: int, device: torch.device | str | None = None,
                 overlap: int | None = None, flip: bool = True, batch_size: int = 8):
        self.device = choose_device(str(device) if device is not None else None)
        self.module = module.eval().to(self.device)
        self.window_size = window_size
        self.overlap = window_size // 3 if overlap is None else overlap
        self.flip = flip
        self.batch_size = batch_size

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def _forward(self, windows: np.ndarray) -> np.ndarray:
        outputs = []
        with torch.inference_mode(), self._autocast():
            for start in range(0, len(windows), self.batch_size):
                batch = torch.from_numpy(np.ascontiguousarray(windows[start:start + self.batch_size]))
                outputs.append(self.module(batch.to(self.device, torch.float32)).float().cpu().numpy())
        return np.concatenate(outputs)

    def __call__(self, keypoints_2d: np.ndarray) -> np.ndarray:
        keypoints_2d = np.asarray(keypoints_2d, np.float32)
        plan = WindowPlan.for_clip(len(keypoints_2d), self.window_size, self.overlap)
        windows = plan.windows(keypoints_2d)
        if self.flip:
            both = self._forward(np.concatenate([windows, flip_pose(windows)]))
            predicted = (both[:len(windows)] + flip_pose(both[len(windows):])) / 2
        else:
            predicted = self._forward(windows)
        poses = plan.merge(predicted)
        return (poses - poses[:, :1]).astype(np.float32)
