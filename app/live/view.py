"""The live composite: the offline renderer's side-by-side view (``app.render.SideBySideRenderer``) of one
processed frame, with a status line (frame rate, drops, latency) over the video panel.

The offline 3D panel is framed once for the whole clip; live, the future is unknown, so the panel is framed on
the people of the moment (``REFRAME_MARGIN`` around them) and framed again only when someone's pelvis leaves it or
the floor estimate moves, so the view holds still in between.
"""
from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from app.live.engine import ProcessedFrame
from app.render import DEFAULT_BOUNDS, SideBySideRenderer, framing

REFRAME_MARGIN = 1.0        # metres of floor around the people when the panel is framed
REFRAME_FLOOR_CHANGE = 0.2  # metres: the camera height estimate moving this much frames the panel again
TRAIL_SECONDS = 1.0         # each person's last second of pelvis positions, drawn on the floor (as offline)
# The composite's height, and a linear rather than an area-averaging scaling of the frame: drawing the offline
# composite (720 px, area averaging) cost as much as the 2D model (BENCHMARKS.md, "Live").
LIVE_PANEL_HEIGHT = 480


class LiveView:
    """``view(processed, status)`` → RGB uint8 composite (H, W + H, 3) of a (width, height) px source."""

    def __init__(self, width: int, height: int, fps: float, azimuth: float = 20.0, elevation: float = 25.0):
        self.width, self.height = width, height
        self.azimuth, self.elevation = azimuth, elevation
        self.renderer = SideBySideRenderer(width, height, azimuth, elevation, max_height=LIVE_PANEL_HEIGHT,
                                           interpolation=cv2.INTER_LINEAR)  # reframed on the first people seen
        self._framed_height: float | None = None
        self._trails: dict[int, deque[np.ndarray]] = {}
        self._trail_length = max(2, round(TRAIL_SECONDS * fps))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) px of the composite."""
        return self.renderer.size

    def __call__(self, processed: ProcessedFrame, status: str) -> np.ndarray:
        placed = processed.placed
        count = len(processed.track_ids)
        if count and self._needs_framing(placed.keypoints_world[:, 0], placed.camera_height):
            self._frame_panel(processed)
        trails = []
        in_view = set(processed.track_ids.tolist())  # a person out of view starts a new trail when back
        self._trails = {track_id: trail for track_id, trail in self._trails.items() if track_id in in_view}
        for person, track_id in enumerate(processed.track_ids):
            trail = self._trails.setdefault(int(track_id), deque(maxlen=self._trail_length))
            trail.append(placed.keypoints_world[person, 0])
            trails.append(np.array(trail))
        composite = self.renderer(processed.frame.image, processed.keypoints_2d, processed.scores_2d,
                                  np.ones(count, bool), placed.keypoints_world, processed.track_ids, trails)
        draw_status(composite, status)
        return composite

    def _needs_framing(self, pelvises: np.ndarray, camera_height: float) -> bool:
        if self._framed_height is None or abs(camera_height - self._framed_height) > REFRAME_FLOOR_CHANGE:
            return True
        bounds = self.renderer.panel_3d.bounds
        return bool(((pelvises[:, :2] < bounds[0, :2]) | (pelvises[:, :2] > bounds[1, :2])).any())

    def _frame_panel(self, processed: ProcessedFrame) -> None:
        placed = processed.placed
        bounds = framing(placed.keypoints_world[None], np.ones((1, len(processed.track_ids)), bool))
        bounds[0, :2] -= REFRAME_MARGIN
        bounds[1, :2] += REFRAME_MARGIN
        bounds[1, 2] = max(bounds[1, 2], DEFAULT_BOUNDS[1, 2])
        self.renderer = SideBySideRenderer(self.width, self.height, self.azimuth, self.elevation, bounds,
                                           camera_position=np.array([0.0, 0.0, placed.camera_height]),
                                           camera_forward=placed.rotation[:, 2], max_height=LIVE_PANEL_HEIGHT,
                                           interpolation=cv2.INTER_LINEAR)
        self._framed_height = placed.camera_height


def draw_status(composite: np.ndarray, text: str) -> None:
    """The status line in the top-left corner of the video panel, white on a dark band (in place)."""
    scale = 0.45 + composite.shape[0] / 1600
    (width, height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(composite, (0, 0), (width + 16, height + baseline + 12), (30, 30, 30), -1)
    cv2.putText(composite, text, (8, height + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
