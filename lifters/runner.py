"""Running a lifter network over a whole clip: windowing, flip test-time augmentation, batching, device."""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from lifters.skeleton import flip_pose
from lifters.windowing import WindowPlan


def choose_device(requested: str | None = None) -> torch.device:
    """``requested`` if given ('cpu', 'cuda', 'cuda:1', 'mps'), else CUDA when available, else CPU.

    A device this machine does not have is a ValueError with one line, not a failure later in a model."""
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise ValueError(f"unknown device {requested!r}: choose cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device {requested!r} was asked for, but CUDA is not available")
        if (device.index or 0) >= count:
            raise ValueError(f"device {requested!r} was asked for, but this machine has {count} CUDA device(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {requested!r} was asked for, but MPS is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {requested!r}: choose cpu, cuda, cuda:N or mps")
    return device


class WindowLifter:
    """What both runners share: the device, batching, float16 autocast on GPU and flip test-time augmentation.

    Subclasses say how a clip becomes windows and what of the network's output is kept (``_network``).
    flip: average with the mirrored input's un-mirrored output (the official test-time augmentation).
    batch_size: windows per forward pass; with ``flip`` each is run together with its mirrored copy.
    """

    def __init__(self, module: nn.Module, window_size: int, device: torch.device | str | None, flip: bool,
                 batch_size: int):
        self.device = choose_device(str(device) if device is not None else None)
        self.module = module.eval().to(self.device)
        self.window_size = window_size
        self.flip = flip
        self.batch_size = batch_size

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def _network(self, batch: torch.Tensor) -> torch.Tensor:
        """(B, window_size, 17, 2) → the poses this runner keeps, (B, ..., 17, 3)."""
        raise NotImplementedError

    def _predict(self, windows: np.ndarray) -> np.ndarray:
        """(W, window_size, 17, 2) windows (a view is fine: only one batch is copied at a time) → (W, ..., 17, 3)."""
        outputs = []
        with torch.inference_mode(), self._autocast():
            for start in range(0, len(windows), self.batch_size):
                batch = np.ascontiguousarray(windows[start:start + self.batch_size], np.float32)
                if self.flip:
                    batch = np.concatenate([batch, flip_pose(batch)])
                predicted = self._network(torch.from_numpy(batch).to(self.device)).float().cpu().numpy()
                if self.flip:
                    half = len(predicted) // 2
                    predicted = (predicted[:half] + flip_pose(predicted[half:])) / 2
                outputs.append(predicted)
        return np.concatenate(outputs)


class SequenceLifter(WindowLifter):
    """A seq2seq lifter (MixSTE family): (T, 17, 2) normalised 2D → (T, 17, 3) metres, root-relative camera frame.

    module: maps (B, window_size, 17, 2) → (B, window_size, 17, 3).
    overlap: frames shared by neighbouring windows on clips longer than a window (cross-faded).
    """

    def __init__(self, module: nn.Module, window_size: int, device: torch.device | str | None = None,
                 overlap: int | None = None, flip: bool = True, batch_size: int = 4):
        super().__init__(module, window_size, device, flip, batch_size)
        self.overlap = window_size // 3 if overlap is None else overlap

    def _network(self, batch: torch.Tensor) -> torch.Tensor:
        return self.module(batch)

    def present_pose(self, history: np.ndarray) -> np.ndarray:
        """Causal use (live): (K, 17, 2) normalised 2D of the past and present frames, 1 ≤ K ≤ window_size → the
        present (last) frame's pose (17, 3) metres, root at 0. The window is padded on the past side only, by
        repeating the oldest frame, so no future frame is needed."""
        history = np.asarray(history, np.float32)
        if not 1 <= len(history) <= self.window_size:
            raise ValueError(f"a causal window holds 1 to {self.window_size} frames, got {len(history)}")
        window = np.pad(history, [(self.window_size - len(history), 0), (0, 0), (0, 0)], mode="edge")
        pose = self._predict(window[None])[0, -1]
        return (pose - pose[:1]).astype(np.float32)

    def __call__(self, keypoints_2d: np.ndarray) -> np.ndarray:
        keypoints_2d = np.asarray(keypoints_2d, np.float32)
        plan = WindowPlan.for_clip(len(keypoints_2d), self.window_size, self.overlap)
        poses = plan.merge(self._predict(plan.windows(keypoints_2d)))
        return (poses - poses[:, :1]).astype(np.float32)


class CentreFrameLifter(WindowLifter):
    """A seq2frame lifter (StridedTransformer): (T, 17, 2) normalised 2D → (T, 17, 3) metres, root at 0.

    As the official demo: output frame i is the centre-frame pose (``x_STE``) of the window of frames
    [i - pad, i + pad], pad = (window_size - 1) // 2, edge-padded at both ends of the clip; after the flip
    average the root joint is set to 0 (the other joints are left as predicted).
    module: maps (B, window_size, 17, 2) → (x_STE (B, 1, 17, 3), x_VTE).
    """

    def __init__(self, module: nn.Module, window_size: int, device: torch.device | str | None = None,
                 flip: bool = True, batch_size: int = 32):
        super().__init__(module, window_size, device, flip, batch_size)

    def _network(self, batch: torch.Tensor) -> torch.Tensor:
        return self.module(batch)[0][:, 0]

    def __call__(self, keypoints_2d: np.ndarray) -> np.ndarray:
        keypoints_2d = np.asarray(keypoints_2d, np.float32)
        if len(keypoints_2d) < 1:
            raise ValueError("a clip needs at least one frame")
        pad = (self.window_size - 1) // 2
        padded = np.pad(keypoints_2d, [(pad, self.window_size - 1 - pad), (0, 0), (0, 0)], mode="edge")
        # (T, window_size, 17, 2) as a view: one window per output frame without copying the clip 351 times.
        windows = np.moveaxis(sliding_window_view(padded, self.window_size, axis=0), -1, 1)
        poses = self._predict(windows)
        poses[:, 0] = 0
        return poses.astype(np.float32)
