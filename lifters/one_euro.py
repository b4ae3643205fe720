"""The one-euro filter (Casiez, Roussel and Vogel, CHI 2012): causal smoothing whose cutoff rises with speed.

A first-order low-pass whose cutoff is ``min_cutoff + beta × |speed|`` (speed itself low-passed at
``speed_cutoff``): still joints are smoothed hard (little jitter), fast ones lightly (little lag). Each element of
the array is filtered on its own. It needs only the past, and the time since the previous sample, so dropped frames
are handled by their real time step. The defaults were tuned on the real clips against the offline zero-phase
6 Hz Butterworth of ``lifters.blazepose3d`` (BENCHMARKS.md, "Live").
"""
from __future__ import annotations

import numpy as np

MIN_CUTOFF_HZ = 8.0    # the cutoff of a joint at rest, cycles per second
BETA = 10.0            # cutoff gain per unit of speed (per metre per second for metric poses)
SPEED_CUTOFF_HZ = 1.0  # the cutoff of the speed estimate (Casiez et al.'s recommended 1 Hz)


def smoothing_factor(cutoff_hz: np.ndarray | float, seconds: float) -> np.ndarray | float:
    """The exponential smoothing factor α ∈ (0, 1] of a first-order low-pass at ``cutoff_hz`` after ``seconds``."""
    time_constant = 1.0 / (2 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + time_constant / seconds)


class OneEuroFilter:
    """``filter(values, time)`` → the smoothed values: any array shape, the same every call; ``time`` in seconds,
    increasing. The first call returns its values unchanged. ``reset()`` forgets the past (a person lost and found
    again)."""

    def __init__(self, min_cutoff: float = MIN_CUTOFF_HZ, beta: float = BETA, speed_cutoff: float = SPEED_CUTOFF_HZ):
        if not (min_cutoff > 0 and beta >= 0 and speed_cutoff > 0):
            raise ValueError("min_cutoff and speed_cutoff must be positive and beta at least 0")
        self.min_cutoff, self.beta, self.speed_cutoff = min_cutoff, beta, speed_cutoff
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._time = 0.0

    def __call__(self, values: np.ndarray, time: float) -> np.ndarray:
        values = np.asarray(values, np.float64)
        if self._value is None:
            self._value, self._speed, self._time = values.copy(), np.zeros_like(values), time
            return values.copy()
        seconds = time - self._time
        if not seconds > 0:
            raise ValueError(f"the one-euro filter needs increasing times, got {time} after {self._time}")
        speed = (values - self._value) / seconds
        self._speed = self._speed + smoothing_factor(self.speed_cutoff, seconds) * (speed - self._speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed)
        self._value = self._value + smoothing_factor(cutoff, seconds) * (values - self._value)
        self._time = time
        return self._value.copy()
