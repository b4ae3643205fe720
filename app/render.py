"""Drawing the two panels with OpenCV (no matplotlib, no image files): the frame with the 2D skeleton, and the
3D skeleton in a world frame seen by a fixed virtual camera, composited side by side in memory."""
from __future__ import annotations

import cv2
import numpy as np

from lifters.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT

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
    thickness = line_thickness(image.shape[0])
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
                    label_scale(image.shape[0]), person_colour(track_id), 2, cv2.LINE_AA)


# What an empty panel frames: a person-sized box on the floor around the origin, metres.
DEFAULT_BOUNDS = np.array([[-1.0, -1.0, 0.0], [1.0, 1.0, 1.8]])


def grid_spacing(extent: float) -> float:
    """Floor grid spacing in metres for a floor ``extent`` metres in half-width: 1, 2 or 5 × a power of ten (at
    least 0.25 m), at most 6 lines per half-width."""
    decade = 10.0 ** np.floor(np.log10(max(extent, 1e-3) / 6))
    return float(max(0.25, next(step * decade for step in (1, 2, 5, 10) if extent / (step * decade) <= 6)))


def line_thickness(height: int) -> int:
    """Bone thickness in pixels for a panel ``height`` pixels tall (both panels share it, so sizes match)."""
    return max(2, round(height / 250))


def label_scale(height: int) -> float:
    """Font scale of the person labels for a panel ``height`` pixels tall."""
    return 0.5 + height / 1500


class Panel3D:
    """A square view of the world (metres, z up, floor z = 0), from a fixed virtual camera at a fixed scale.

    azimuth/elevation (degrees) place the virtual camera; azimuth 0 looks from where the video's camera was
    (it looks along +y in the world, so the 3D matches the 2D panel), 90 is a side view. ``bounds`` (2, 3) is the
    world box (low, high corners, metres) the view is fitted to, chosen once per clip (``framing``): every person
    in every frame stays in view and the scale never changes between frames (no flicker). ``camera_position`` (3,)
    and ``camera_forward`` (3,) draw the video's camera as a small marker. ``distance``: of the virtual camera
    from what it looks at, metres (default: 7 m, more for large areas, so the perspective stays mild).
    """

    def __init__(self, size: int, azimuth: float = 20.0, elevation: float = 25.0,
                 bounds: np.ndarray = DEFAULT_BOUNDS, camera_position: np.ndarray | None = None,
                 camera_forward: np.ndarray | None = None, raised_support: list[np.ndarray] | None = None,
                 distance: float | None = None):
        self.size = size
        self.raised_support = raised_support or []
        # The eye sits opposite the video camera's viewing direction (+y) at azimuth 0.
        azimuth_rad, elevation_rad = np.radians(-90.0 + azimuth), np.radians(elevation)
        self._eye = np.array([np.cos(elevation_rad) * np.cos(azimuth_rad),
                              np.cos(elevation_rad) * np.sin(azimuth_rad), np.sin(elevation_rad)])
        self._right = np.cross([0.0, 0.0, 1.0], self._eye)
        self._right /= np.linalg.norm(self._right)
        self._up = np.cross(self._eye, self._right)
        self.bounds = np.asarray(bounds, np.float64)
        self.extent = float(max(self.bounds[1, :2] - self.bounds[0, :2]) / 2)  # half-width of the floor shown
        # Fit the box's corners into the square (orthographic estimate, 10 % margin), centred on the screen.
        corners = np.array([[x, y, z] for x in self.bounds[:, 0] for y in self.bounds[:, 1] for z in self.bounds[:, 2]])
        middle = self.bounds.mean(0)
        screen = np.stack([(corners - middle) @ self._right, (corners - middle) @ self._up], -1)
        span = screen.max(0) - screen.min(0)
        self._centre = middle + self._right * (screen.max(0) + screen.min(0))[0] / 2 + \
            self._up * (screen.max(0) + screen.min(0))[1] / 2
        self._distance = max(7.0, 2 * float(np.linalg.norm(self.bounds[1] - self.bounds[0]))) if distance is None \
            else distance
        self._pixels_per_metre = 0.8 * size / max(float(span.max()), 1.0)
        self.thickness = line_thickness(size)
        self.camera_position = None if camera_position is None else np.asarray(camera_position, np.float64)
        self.camera_forward = None if camera_forward is None else np.asarray(camera_forward, np.float64)
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

    def _line(self, image, start, end, colour, thickness=1):
        pixels, _ = self.project(np.array([start, end], np.float64))
        cv2.line(image, tuple(np.round(pixels[0] * 16).astype(int)), tuple(np.round(pixels[1] * 16).astype(int)),
                 colour, thickness, cv2.LINE_AA, shift=4)

    def _draw_background(self) -> np.ndarray:
        image = np.full((self.size, self.size, 3), 250, np.uint8)
        spacing = grid_spacing(self.extent)
        area = self.bounds[:, :2]
        if self._camera_in_view():  # the floor reaches to below the camera, so the marker stands somewhere
            area = np.stack([np.minimum(area[0], self.camera_position[:2]), np.maximum(area[1],
                                                                                    self.camera_position[:2])])
        low = np.floor((area[0] - spacing) / spacing) * spacing
        high = np.ceil((area[1] + spacing) / spacing) * spacing
        for x in np.arange(low[0], high[0] + 1e-6, spacing):
            self._line(image, (x, low[1], 0), (x, high[1], 0), (205, 205, 205))
        for y in np.arange(low[1], high[1] + 1e-6, spacing):
            self._line(image, (low[0], y, 0), (high[0], y, 0), (205, 205, 205))
        for patch in (patch for points in self.raised_support for patch in support_patches(points)):
            pixels, _ = self.project(patch)
            cv2.fillPoly(image, [np.round(pixels * 16).astype(np.int32)], (228, 228, 228), cv2.LINE_AA, shift=4)
            cv2.polylines(image, [np.round(pixels * 16).astype(np.int32)], True, (170, 170, 170), 1, cv2.LINE_AA,
                          shift=4)
        if self.camera_position is not None:
            self._draw_camera(image)
        cv2.putText(image, f"3D (m), floor grid {spacing:g} m", (10, self.size - 12), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (120, 120, 120), 1, cv2.LINE_AA)
        self._draw_legend(image)
        return image

    def _camera_in_view(self, margin: int = 24) -> bool:
        if self.camera_position is None:
            return False
        pixels, _ = self.project(self.camera_position)
        return bool(((pixels >= margin) & (pixels < self.size - margin)).all())

    def _draw_camera(self, image: np.ndarray) -> None:
        """The video's camera: a small pyramid pointing where it looks, with a dashed line down to the floor; when
        it is outside the view, an arrow at the panel's edge pointing to it, with its distance."""
        colour = (90, 90, 90)
        apex_pixels, _ = self.project(self.camera_position)
        margin = 24
        if self._camera_in_view(margin):
            apex = self.camera_position
            forward = self.camera_forward if self.camera_forward is not None else np.array([0.0, 1.0, 0.0])
            right = np.cross(forward, [0.0, 0.0, 1.0])
            right = right / max(np.linalg.norm(right), 1e-9)
            up = np.cross(right, forward)
            size = 14 / self._pixels_per_metre  # about 14 pixels, whatever the scale
            corners = [apex + size * (1.5 * forward + sx * right + sy * 0.6 * up) for sx, sy in
                       ((-1, -1), (1, -1), (1, 1), (-1, 1))]
            for corner in corners:
                self._line(image, apex, corner, colour, 2)
            for a, b in zip(corners, corners[1:] + corners[:1]):
                self._line(image, a, b, colour, 2)
            for start in np.arange(0, apex[2], 0.2):
                self._line(image, (apex[0], apex[1], start), (apex[0], apex[1], min(start + 0.1, apex[2])), colour)
            text_at = apex_pixels + [6, -6]
            text = "camera"
        else:  # an arrow at the edge, from the view's centre towards the camera
            middle = np.array([self.size / 2, self.size / 2])
            direction = (apex_pixels - middle) / max(np.linalg.norm(apex_pixels - middle), 1e-9)
            reach = min((self.size / 2 - margin) / max(abs(direction[0]), 1e-9),
                        (self.size / 2 - margin) / max(abs(direction[1]), 1e-9))
            tip = middle + direction * reach
            cv2.arrowedLine(image, tuple(np.round(tip - 22 * direction).astype(int)),
                            tuple(np.round(tip).astype(int)), colour, 2, cv2.LINE_AA, tipLength=0.4)
            distance = np.linalg.norm(self.camera_position[:2] - self.bounds.mean(0)[:2])
            text = f"camera {distance:.1f} m"
            text_at = np.clip(tip - 22 * direction + [-40, -10], [4, 14], [self.size - 110, self.size - 30])
        cv2.putText(image, text, tuple(np.round(text_at).astype(int)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1,
                    cv2.LINE_AA)

    def _draw_legend(self, image: np.ndarray) -> None:
        """Top-left key: the limb colours and the low-confidence mark, as in the 2D panel."""
        x, y, step = 10, 18, 18
        for text, colour in (("left", LEFT_COLOUR), ("right", RIGHT_COLOUR)):
            cv2.line(image, (x, y - 4), (x + 22, y - 4), colour, self.thickness, cv2.LINE_AA)
            cv2.putText(image, text, (x + 30, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60), 1, cv2.LINE_AA)
            y += step
        cv2.circle(image, (x + 11, y - 4), self.thickness + 3, LOW_CONFIDENCE_COLOUR, 2, cv2.LINE_AA)
        cv2.putText(image, "low confidence", (x + 30, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60), 1,
                    cv2.LINE_AA)

    def render(self, poses_world: np.ndarray, track_ids: np.ndarray, scores: np.ndarray | None = None,
               trails: list[np.ndarray] | None = None, label: bool = False) -> np.ndarray:
        """poses_world (P, 17, 3) metres (z up) → BGR (size, size, 3).

        scores (P, 17): joints below ``LOW_CONFIDENCE`` are drawn hollow and grey, as in the 2D panel.
        trails: per person (K, 3) recent pelvis positions, drawn on the floor. label: "#id" above each head.
        Shadows (the skeleton flattened onto the floor) show how high a person is; bones are drawn far to near.
        """
        image = self._background.copy()
        thickness = self.thickness
        for person, pose in enumerate(poses_world):
            shadow = np.array(pose, np.float64)
            shadow[:, 2] = 0.0
            pixels, _ = self.project(shadow)
            for parent, child in H36M_BONES:
                cv2.line(image, tuple(np.round(pixels[parent] * 16).astype(int)),
                         tuple(np.round(pixels[child] * 16).astype(int)), (215, 215, 215), thickness + 2,
                         cv2.LINE_AA, shift=4)
            if trails is not None and len(trails[person]) > 1:
                trail = np.array(trails[person], np.float64)
                trail[:, 2] = 0.0
                trail_pixels, _ = self.project(trail)
                cv2.polylines(image, [np.round(trail_pixels * 16).astype(np.int32)], False,
                              person_colour(track_ids[person]), max(1, thickness // 2), cv2.LINE_AA, shift=4)
        segments = []
        for person, (pose, track_id) in enumerate(zip(poses_world, track_ids)):
            pixels, depth = self.project(pose.astype(np.float64))
            for parent, child in H36M_BONES:
                segments.append(((depth[parent] + depth[child]) / 2, pixels[parent], pixels[child],
                                 _bone_colour(child, track_id), True))
            for joint in range(len(pose)):
                confident = scores is None or scores[person, joint] >= LOW_CONFIDENCE
                segments.append((depth[joint] + 1e-3, pixels[joint], None,
                                 person_colour(track_id) if confident else LOW_CONFIDENCE_COLOUR, confident))
        for _, start, end, colour, filled in sorted(segments, key=lambda item: item[0]):
            start_px = tuple(np.round(start * 16).astype(int))
            if end is not None:
                cv2.line(image, start_px, tuple(np.round(end * 16).astype(int)), colour, thickness, cv2.LINE_AA,
                         shift=4)
            elif filled:
                cv2.circle(image, start_px, (thickness + 1) * 16, colour, -1, cv2.LINE_AA, shift=4)
            else:
                cv2.circle(image, start_px, (thickness + 3) * 16, colour, 2, cv2.LINE_AA, shift=4)
        if label:
            for pose, track_id in zip(poses_world, track_ids):
                head, _ = self.project(pose[10].astype(np.float64) + np.array([0, 0, 0.15]))
                cv2.putText(image, f"#{track_id}", (int(head[0]) - 10, int(head[1])), cv2.FONT_HERSHEY_SIMPLEX,
                            label_scale(self.size), person_colour(track_id), 2, cv2.LINE_AA)
        return image


LEVEL_GAP = 0.1  # metres: raised support points this far apart in height are different surfaces
MIN_FOOTPRINTS = 4  # a surface is where one person stood at least this often at one height (else: depth errors)
FOOTPRINT = 0.15  # metres around each support point
# A surface is flat and stood on densely. The sample clip's roof: 21 footprints within 0.17 m of height, 0.06 m² of
# outline each; vtest.avi's walkers, all on the floor, leave depth errors chained over 0.8 m of height or a few
# footprints over several metres (1.5 m² or more each).
SURFACE_FLATNESS = 0.3   # metres: the most a surface's footprints may differ in height
AREA_PER_FOOTPRINT = 0.5  # m²: the most outline a surface may have per footprint


def support_patches(points: np.ndarray) -> list[np.ndarray]:
    """(N, 3) one person's off-floor support points, world → one (K, 3) outline per surface: points grouped by
    height (a gap over ``LEVEL_GAP`` starts another), each group of at least ``MIN_FOOTPRINTS`` as its convex hull
    on the floor plan, grown by ``FOOTPRINT``, at the group's median height; a group that is not flat
    (``SURFACE_FLATNESS``) or densely stood on (``AREA_PER_FOOTPRINT``) is depth error, not a surface."""
    points = np.asarray(points, np.float64)
    if len(points) == 0:
        return []
    order = np.argsort(points[:, 2])
    groups = np.split(order, np.flatnonzero(np.diff(points[order, 2]) > LEVEL_GAP) + 1)
    square = FOOTPRINT * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]])
    patches = []
    for group in groups:
        if len(group) < MIN_FOOTPRINTS or np.ptp(points[group, 2]) > SURFACE_FLATNESS:
            continue
        corners = (points[group, None, :2] + square).reshape(-1, 2).astype(np.float32)
        hull = cv2.convexHull(corners)
        if cv2.contourArea(hull) > AREA_PER_FOOTPRINT * len(group):
            continue
        hull = hull[:, 0].astype(np.float64)
        patches.append(np.column_stack([hull, np.full(len(hull), np.median(points[group, 2]))]))
    return patches


FRAMING_OUTLIERS = 0.01


def framing(keypoints_world: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """World keypoints (P, T, 17, 3), valid (P, T) → (2, 3) the box (low, high corners) that holds the joints of
    every person in the valid frames, with 30 cm around them and the floor below them. The box leaves out the
    outermost ``FRAMING_OUTLIERS`` of the joints on each side (a person half out of the picture can be placed far
    off for a few frames)."""
    points = np.asarray(keypoints_world, np.float64)[np.asarray(valid, bool)].reshape(-1, 3)
    if len(points) == 0:
        return DEFAULT_BOUNDS.copy()
    low = np.percentile(points, 100 * FRAMING_OUTLIERS, axis=0) - 0.3
    high = np.percentile(points, 100 * (1 - FRAMING_OUTLIERS), axis=0) + 0.3
    low[2], high[2] = min(points[:, 2].min(), 0.0), max(high[2], 1.0)
    return np.stack([low, high])


MIN_BILINEAR_SCALE = 0.5  # the left panel is resized bilinearly down to this scale, by area averaging below it


def panel_height(frame_height: int, max_height: int = 720) -> int:
    """Output height: the frame's, capped, and even (H.264 yuv420p needs even sizes)."""
    return min(frame_height, max_height) // 2 * 2


class SideBySideRenderer:
    """Composite of (frame + 2D skeletons | 3D panel), RGB uint8 (H, W + H, 3) with H = ``panel_height``.

    bounds, camera_position, camera_forward, raised_support: the 3D panel's framing, the video camera and the
    surfaces people stood on off the floor (``Panel3D``). max_height: the cap of ``panel_height``; interpolation:
    OpenCV's for scaling the frame down (area averaging is the sharpest, linear about 5× faster, for live use).
    """

    def __init__(self, frame_width: int, frame_height: int, azimuth: float = 20.0, elevation: float = 25.0,
                 bounds: np.ndarray = DEFAULT_BOUNDS, camera_position: np.ndarray | None = None,
                 camera_forward: np.ndarray | None = None, raised_support: list[np.ndarray] | None = None,
                 max_height: int = 720, interpolation: int = cv2.INTER_AREA):
        self.height = panel_height(frame_height, max_height)
        self.interpolation = interpolation
        self.scale = self.height / frame_height
        self.left_width = round(frame_width * self.scale) // 2 * 2
        # Area averaging is what keeps a strong reduction free of aliasing, but it cost 80 % of the drawing time for
        # the sample clip (1768×994 → 1280×720, 10 ms a frame); down to half size bilinear matches it (47 dB PSNR
        # there) at 1.6 ms.
        self.interpolation = cv2.INTER_AREA if self.scale < MIN_BILINEAR_SCALE else cv2.INTER_LINEAR
        self.panel_3d = Panel3D(self.height, azimuth, elevation, bounds, camera_position, camera_forward,
                                raised_support)
        self.size = (self.left_width + self.height, self.height)  # (width, height)

    def __call__(self, frame_bgr: np.ndarray, keypoints_2d: np.ndarray, scores_2d: np.ndarray, visible: np.ndarray,
                 poses_world: np.ndarray, track_ids: np.ndarray, trails: list[np.ndarray] | None = None
                 ) -> np.ndarray:
        """keypoints_2d (P, 17, 2) px, scores_2d (P, 17), visible (P,) bool, poses_world (P, 17, 3) metres,
        trails: per person (K, 3) recent world pelvis positions, or None."""
        left = cv2.resize(frame_bgr, (self.left_width, self.height), interpolation=self.interpolation)
        label = len(track_ids) > 1
        for person in np.flatnonzero(visible):
            draw_skeleton_2d(left, keypoints_2d[person], scores_2d[person], track_ids[person], self.scale, label)
        shown = np.flatnonzero(visible)
        right = self.panel_3d.render(poses_world[shown], track_ids[shown], scores_2d[shown],
                                     None if trails is None else [trails[person] for person in shown], label)
        return cv2.cvtColor(np.concatenate([left, right], axis=1), cv2.COLOR_BGR2RGB)
