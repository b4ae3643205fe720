"""Cutting a clip into fixed-length lifter windows and putting the outputs back together.

Every input frame gets exactly one output pose, for any clip length T ≥ 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowPlan:
    """Seq2seq tiling of T frames with windows of ``window_size`` frames.

    starts: (W,) first frame of each window. Clips shorter than a window get one window, right-padded by
    repeating the last frame (as the official MixSTE). Longer clips get windows every ``window_size - overlap``
    frames plus one ending at the last frame; overlapping outputs are cross-faded with linear ramps, so there is
    no jump at window borders.
    """

    num_frames: int
    window_size: int
    overlap: int
    starts: tuple[int, ...]

    @classmethod
    def for_clip(cls, num_frames: int, window_size: int, overlap: int) -> "WindowPlan":
        if num_frames < 1:
            raise ValueError("a clip needs at least one frame")
        if not 0 <= overlap < window_size:
            raise ValueError(f"overlap must be in [0, {window_size}), got {overlap}")
        if num_frames <= window_size:
            return cls(num_frames, window_size, overlap, (0,))
        step = window_size - overlap
        starts = list(range(0, num_frames - window_size, step)) + [num_frames - window_size]
        return cls(num_frames, window_size, overlap, tuple(starts))

    def windows(self, sequence: np.ndarray) -> np.ndarray:
        """(T, ...) → (W, window_size, ...), edge-padding on the right when T < window_size."""
        if len(sequence) != self.num_frames:
            raise ValueError(f"expected {self.num_frames} frames, got {len(sequence)}")
        if self.num_frames < self.window_size:
            padding = [(0, self.window_size - self.num_frames)] + [(0, 0)] * (sequence.ndim - 1)
            return np.pad(sequence, padding, mode="edge")[None]
        return np.stack([sequence[start:start + self.window_size] for start in self.starts])

    def _weights(self, index: int) -> np.ndarray:
        """Cross-fade weights (window_size,) of window ``index``: ramps only where a neighbour overlaps."""
        weights = np.ones(self.window_size, np.float64)
        ramp = np.arange(1, self.window_size + 1, dtype=np.float64)
        if index > 0:
            left_overlap = self.starts[index - 1] + self.window_size - self.starts[index]
            weights = np.minimum(weights, ramp / (left_overlap + 1))
        if index < len(self.starts) - 1:
            right_overlap = self.starts[index] + self.window_size - self.starts[index + 1]
            weights = np.minimum(weights, ramp[::-1] / (right_overlap + 1))
        return weights

    def merge(self, outputs: np.ndarray) -> np.ndarray:
        """(W, window_size, ...) window outputs → (T, ...) one output per input frame."""
        if len(outputs) != len(self.starts):
            raise ValueError(f"expected {len(self.starts)} windows, got {len(outputs)}")
        if self.num_frames <= self.window_size:
            return outputs[0, :self.num_frames]
        extra_axes = (1,) * (outputs.ndim - 2)
        total = np.zeros((self.num_frames,) + outputs.shape[2:], np.float64)
        weight_sum = np.zeros((self.num_frames,) + extra_axes, np.float64)
        for index, start in enumerate(self.starts):
            weights = self._weights(index).reshape((-1,) + extra_axes)
            total[start:start + self.window_size] += weights * outputs[index]
            weight_sum[start:start + self.window_size] += weights
        return (total / weight_sum).astype(outputs.dtype)
