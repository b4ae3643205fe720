"""Drawing the two panels with OpenCV (no matplotlib, no image files): the frame with the 2D skeleton, and the
3D skeleton in a world frame seen by a fixed virtual camera, composited side by side in memory."""
from __future__ import annotations

import cv2
import numpy as np

from lifters.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT, SEED_CAMERA_ROTATION, quaternion_rotate

# BGR colours. Left limbs blue, right limbs red (the seeds' convention); the trunk takes the person's colour.
LEFT_COLOUR = (230, 140, 30)
RIGHT_COLOUR = (40, 40, 225)
LOW_CONFIDENCE_COLOUR = (150, 150, 150)
PERSON_COLOURS = ((60, 200, 60), (0, 200, 255), (200, 80, 200), (255, 200, 0), (80, 160, 255), (180, 180, 40),
                  (120, 120, 255), (255, 120, 120))
LOW_CONFIDENCE = 0.5  # joints below this score are drawn hollow and grey


def person_colour(track_id: int) -> tuple[int, int, int]:
    return PERSON_COLOURS[int(track_id) % len(PERSON_COLOURS)]


def _bone_colour(child: int, track_id: int) -> tuple[int, int, int]:
    if child in H36M_LEFT:
        return LEFT_COLOUR
    if child in H36M_RIGHT:
        return RIGHT_COLOUR
    return person_colour(track_id)


def draw_skeleton_2d(image: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, track_id: int,
                     scale: float = 1.0, label: bool = False) -> None:
    """Draw one H36M-17 skeleton in place. keypoints (17, 2) pixels of the original frame, scaled by ``scale``."""
    points = np.round(keypoints * scale * 16).astype(np.int32)  # 4 fractional bits for sub-pixel lines
    thickness = max(2, round(image.shape[0] / 250))
    for parent, child in H36M_BONES:
        cv2.line(image, tuple(points[parent]), tuple(points[child]), _bone_colour(child, track_id), thickness,
                 cv2.LINE_AA, shift=4)
    radius = thickness + 1
    for joint, point in enumerate(points):
        if scores[joint] >= LOW_CONFIDENCE:
            cv2.circle(image, tuple(point), radius * 16, person_colour(track_id), -1, cv2.LINE_AA, shift=4)
        else:
            cv2.circle(image, tuple(point), (radius + 2) * 16, LOW_CONFIDENCE_COLOUR, 2, cv2.LINE_AA, shift=4)
    if label:
        head = keypoints[10] * scale
        cv2.putText(image, f"#{track_id}", (int(head[0]) - 10, int(head[1]) - 12), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5 + image.shape[0] / 1500, person_colour(track_id), 2, cv2.LINE_AA)


class Panel3D:
    """A square view of world-frame skeletons (metres, z up, ground at z = 0), fixed camera and fixed scale.

    azimuth/elevation (degrees) place the virtual camera; azimuth 0 looks from where the video's camera was
    (so the 3D matches the 2D panel), 90 is a side view. ``extent`` is the half-width in metres of the ground
    area shown, so the scale never changes between frames (no flicker).
    """

    def __init__(self, size: int, azimuth: float = 20.0, elevation: float = 12.0, extent: float = 1.2,
                 distance: float = 7.0):
        self.size = size
        # Horizontal direction the video's camera looks along, in the world frame.
        forward = quaternion_rotate(SEED_CAMERA_ROTATION, np.array([0.0, 0.0, 1.0]))
        camera_azimuth = np.degrees(np.arctan2(-forward[1], -forward[0]))
        azimuth_rad, elevation_rad = np.radians(camera_azimuth + azimuth), np.radians(elevation)
        self._eye = np.array([np.cos(elevation_rad) * np.cos(azimuth_rad),
                              np.cos(elevation_rad) * np.sin(azimuth_rad), np.sin(elevation_rad)])
        self._right = np.cross([0.0, 0.0, 1.0], self._eye)
        self._right /= np.linalg.norm(self._right)
        self._up = np.cross(self._eye, self._right)
        self._distance = distance
        self._centre = np.array([0.0, 0.0, 0.85])  # look at mid-body height
        self._pixels_per_metre = size / (2.6 * max(extent, 1.0))
        self.extent = extent
        self._background = self._draw_background()

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) metres → (pixels (..., 2), depth (...) larger = nearer the viewer)."""
        relative = points - self._centre
        depth = relative @ self._eye
        perspective = self._distance / (self._distance - np.minimum(depth, self._distance - 0.5))
        screen_x = relative @ self._right * perspective
        screen_y = relative @ self._up * perspective
        pixels = np.stack([self.size / 2 + screen_x * self._pixels_per_metre,
                           self.size / 2 - screen_y * self._pixels_per_metre], -1)
        return pixels, depth

    def _draw_background(self) -> np.ndarray:
        image = np.full((self.size, self.size, 3), 250, np.uint8)
        spacing = 0.25 if self.extent <= 1.5 else 0.5
        grid = np.arange(-self.extent, self.extent + 1e-6, spacing)
        for value in grid:
            for start, end in (((value, -self.extent, 0), (value, self.extent, 0)),
                               ((-self.extent, value, 0), (self.extent, value, 0))):
                pixels, _ = self.project(np.array([start, end], np.float64))
                cv2.line(image, tuple(np.round(pixels[0] * 16).astype(int)), tuple(np.round(pixels[1] * 16).astype(int)),
                         (205, 205, 205), 1, cv2.LINE_AA, shift=4)
        cv2.putText(image, f"3D (m), ground grid {spacing:g} m",
                    (10, self.size - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (120, 120, 120), 1, cv2.LINE_AA)
        return image

    def render(self, poses_world: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
        """poses_world (P, 17, 3) metres (z up) → BGR (size, size, 3). Bones are drawn far to near."""
        image = self._background.copy()
        thickness = max(2, round(self.size / 160))
        segments = []
        for pose, track_id in zip(poses_world, track_ids):
            pixels, depth = self.project(pose.astype(np.float64))
            for parent, child in H36M_BONES:
                segments.append(((depth[parent] + depth[child]) / 2, pixels[parent], pixels[child],
                                 _bone_colour(child, track_id)))
            for joint in range(len(pose)):
                segments.append((depth[joint] + 1e-3, pixels[joint], None, person_colour(track_id)))
        for _, start, end, colour in sorted(segments, key=lambda item: item[0]):
            start_px = tuple(np.round(start * 16).astype(int))
            if end is None:
                cv2.circle(image, start_px, (thickness + 1) * 16, colour, -1, cv2.LINE_AA, shift=4)
            else:
                cv2.line(image, start_px, tuple(np.round(end * 16).astype(int)), colour, thickness, cv2.LINE_AA,
                         shift=4)
        return image


def panel_height(frame_height: int, max_height: int = 720) -> int:
    """Output height: the frame's, capped, and even (H.264 yuv420p needs even sizes)."""
    return min(frame_height, max_height) // 2 * 2


class SideBySideRenderer:
    """Composite of (frame + 2D skeletons | 3D panel), RGB uint8 (H, W + H, 3) with H = ``panel_height``."""

    def __init__(self, frame_width: int, frame_height: int, azimuth: float = 20.0, elevation: float = 12.0,
                 num_people: int = 1):
        self.height = panel_height(frame_height)
        self.scale = self.height / frame_height
        self.left_width = round(frame_width * self.scale) // 2 * 2
        self.panel_3d = Panel3D(self.height, azimuth, elevation, extent=1.2 if num_people == 1 else 0.8 + 0.6 * num_people)
        self.size = (self.left_width + self.height, self.height)  # (width, height)

    def __call__(self, frame_bgr: np.ndarray, keypoints_2d: np.ndarray, scores_2d: np.ndarray, visible: np.ndarray,
                 poses_world: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
        """keypoints_2d (P, 17, 2) px, scores_2d (P, 17), visible (P,) bool, poses_world (P, 17, 3) metres."""
        left = cv2.resize(frame_bgr, (self.left_width, self.height), interpolation=cv2.INTER_AREA)
        label = len(track_ids) > 1
        for person in np.flatnonzero(visible):
            draw_skeleton_2d(left, keypoints_2d[person], scores_2d[person], track_ids[person], self.scale, label)
        right = self.panel_3d.render(poses_world[visible], track_ids[visible])
        return cv2.cvtColor(np.concatenate([left, right], axis=1), cv2.COLOR_BGR2RGB)
