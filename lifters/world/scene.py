"""People in a metric world: from root-relative 3D poses and their 2D to positions in the camera frame and in an
upright world frame with the floor at z = 0. The one entry point is ``build_scene``; each step has its own module
(camera, root_fit, upright, contact, ground, frame).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifters.skeleton import fill_gaps
from lifters.world.camera import Intrinsics
from lifters.world.contact import ANKLES, detect_contacts, foot_speeds, pin_contacts, place_feet, runs
from lifters.world.frame import camera_to_world, world_rotation, world_to_camera
from lifters.world.ground import floor_support, person_scales, refine_up
from lifters.world.root_fit import fit_roots, smooth_roots
from lifters.world.upright import estimate_up

# Winter (Biomechanics and Motor Control of Human Movement, fig. 4.1): the ankle is 0.039 and the knee 0.285 of
# the stature above the sole, so the ankle is 0.039 / 0.246 shank lengths above the floor. Used to put the soles
# on the floor, and (hips) to guess the floor below people who never stand.
ANKLE_HEIGHT_PER_SHANK = 0.039 / 0.246
HIP_ABOVE_ANKLE_PER_SHANK = (0.530 - 0.039) / 0.246  # the hip joint is 0.530 of the stature above the sole
UP_PRIOR_SIGMA = np.radians(8.0)  # one person's standing-direction error (RMS over the eval set's 8 person-views)


@dataclass
class Scene:
    """The people of one clip in metres; P people, T frames, H36M-17 joints.

    camera: the intrinsics used (``camera.source`` says where the focal length came from).
    up: (3,) unit, the world's up direction in the camera frame (x right, y down, z forward).
    rotation: (3, 3) camera → world (``lifters.world.frame``); camera_height: metres above the floor (z = 0).
    root_camera: (P, T, 3) pelvis in the camera frame after the contact step; interpolated where not valid.
    keypoints_camera: (P, T, 17, 3) joints in the camera frame; keypoints_world: (P, T, 17, 3) z up, floor z = 0.
    contacts: (P, T, 2) bool, (right, left) ankle standing; person_scale: (P,) size factor against the floor;
    on_floor: (P,) bool, the person stands on the common floor somewhere in the clip.
    raised_support: list of (N, 3) world metres per person, where their feet stood on something other than the
    floor (a roof, a step): one point per contact stretch, at the sole's height.
    """

    camera: Intrinsics
    up: np.ndarray
    rotation: np.ndarray
    camera_height: float
    root_camera: np.ndarray
    keypoints_camera: np.ndarray
    keypoints_world: np.ndarray
    contacts: np.ndarray
    person_scale: np.ndarray
    on_floor: np.ndarray
    raised_support: list[np.ndarray]

    def world_from_camera(self) -> np.ndarray:
        """(4, 4) the rigid transform taking camera-frame points to the world: x_world = R x_camera + t."""
        transform = np.eye(4)
        transform[:3, :3] = self.rotation
        transform[2, 3] = self.camera_height
        return transform

    @property
    def camera_position(self) -> np.ndarray:
        """(3,) the camera's centre in the world, metres."""
        return np.array([0.0, 0.0, self.camera_height])


def build_scene(poses: np.ndarray, keypoints_2d: np.ndarray, scores_2d: np.ndarray, valid: np.ndarray,
                camera: Intrinsics, fps: float, pin_feet: bool = True) -> Scene:
    """poses (P, T, 17, 3) metres root-relative, camera frame (the lifter's output); keypoints_2d (P, T, 17, 2)
    pixels and scores_2d (P, T, 17) (H36M-17, 0 where not valid); valid (P, T) bool, each person valid somewhere.

    pin_feet: False leaves out the contact step (the same scene with sliding feet, to measure what it does).
    """
    poses = np.asarray(poses, np.float64)
    valid = np.asarray(valid, bool)
    num_people = len(poses)
    roots = np.stack([_roots(poses[person], keypoints_2d[person], scores_2d[person], valid[person], camera, fps)
                      for person in range(num_people)])
    ankles_2d = np.stack([fill_gaps(np.asarray(keypoints_2d[person][:, list(ANKLES)], np.float64), valid[person])
                          for person in range(num_people)])
    speeds = np.stack([foot_speeds(ankles_2d[person], roots[person, :, 2], camera, fps)
                       for person in range(num_people)])
    # Where the 2D sees each ankle, at the 3D ankle's depth: the floor test then depends on how far the person is,
    # not on the proportions of the lifted legs.
    depth = roots[..., None, 2] + poses[..., list(ANKLES), 2]
    feet_camera = np.concatenate([camera.normalized(ankles_2d), np.ones(depth.shape + (1,))], -1) * depth[..., None]

    up_prior = estimate_up(poses, valid)
    up = up_prior
    for refine in (True, True, False):  # contacts need up, up needs the support points: refine twice
        contacts = np.stack([detect_contacts(poses[person], speeds[person], valid[person], up)
                             for person in range(num_people)])
        stretches, points = _support_points(feet_camera, contacts)
        person_of = np.array([person for person, *_ in stretches], int)
        on_floor_point, levels = floor_support(-(points @ up), person_of, num_people)
        scale = person_scales(levels)
        if refine and on_floor_point.any():
            up = refine_up(points[on_floor_point] * scale[person_of[on_floor_point], None],
                           person_of[on_floor_point], up_prior, UP_PRIOR_SIGMA / np.sqrt(num_people))

    on_floor = np.isfinite(levels)
    poses = poses * scale[:, None, None, None]
    roots = roots * scale[:, None, None]
    levels = levels * scale
    shank = np.array([np.median(np.linalg.norm(poses[person, valid[person], 3] - poses[person, valid[person], 2],
                                               axis=-1)) for person in range(num_people)])
    ankle_height = ANKLE_HEIGHT_PER_SHANK * shank
    floor_people = on_floor if on_floor.any() else np.ones(num_people, bool)
    ankle_plane = (np.exp(np.mean(np.log(levels[on_floor]))) if on_floor.any()
                   else np.median(-(roots[valid] @ up)) + HIP_ABOVE_ANKLE_PER_SHANK * np.median(shank))
    camera_height = float(ankle_plane + ankle_height[floor_people].mean())

    rotation = world_rotation(up)
    roots_world = camera_to_world(roots, rotation, camera_height)
    poses_world = poses @ rotation.T
    anchors = [[] for _ in range(num_people)]
    raised = [[] for _ in range(num_people)]
    for (person, foot, start, stop), point, floor_point in zip(stretches, points, on_floor_point):
        anchor = camera_to_world(point * scale[person], rotation, camera_height)
        if floor_point:  # at the person's own floor level, so standing feet do not bob
            anchor[2] = camera_height - levels[person]
        else:
            raised[person].append(anchor - [0.0, 0.0, ankle_height[person]])
        anchors[person].append((foot, start, stop, anchor))
    if pin_feet:
        for person in range(num_people):
            roots_world[person], poses_world[person] = _hold_feet(roots_world[person], poses_world[person],
                                                                  anchors[person], fps)
    root_camera = world_to_camera(roots_world, rotation, camera_height)
    keypoints_world = poses_world + roots_world[:, :, None]
    return Scene(camera, up, rotation, camera_height, root_camera.astype(np.float32),
                 world_to_camera(keypoints_world, rotation, camera_height).astype(np.float32),
                 keypoints_world.astype(np.float32), contacts, scale, on_floor,
                 [np.array(points).reshape(-1, 3) for points in raised])


def _hold_feet(roots: np.ndarray, poses: np.ndarray, anchors: list, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """One person's world roots (T, 3) and root-relative world poses (T, 17, 3) → both with contacted feet held at
    their anchors: first a root shift, then the legs bent onto the anchors."""
    feet = poses[:, list(ANKLES)] + roots[:, None]
    roots = pin_contacts(roots, feet, anchors, fps)
    placed = place_feet(poses + roots[:, None], anchors, fps)
    return roots, placed - roots[:, None]


def _roots(poses: np.ndarray, keypoints_2d: np.ndarray, scores_2d: np.ndarray, valid: np.ndarray,
           camera: Intrinsics, fps: float) -> np.ndarray:
    """One person's (T, 3) smoothed root path, camera frame."""
    fitted = np.zeros((len(valid), 3))
    fitted[valid] = fit_roots(poses[valid], keypoints_2d[valid], scores_2d[valid], camera)
    return smooth_roots(fitted, valid, fps)


def _support_points(feet_camera: np.ndarray, contacts: np.ndarray
                    ) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """Each contact stretch (person, foot, start, stop) and its support point (median foot position), (N, 3)."""
    stretches, points = [], []
    for person in range(len(feet_camera)):
        for foot in range(len(ANKLES)):
            for start, stop in runs(contacts[person, :, foot]):
                stretches.append((person, foot, start, stop))
                points.append(np.median(feet_camera[person, start:stop, foot], axis=0))
    return stretches, np.array(points).reshape(-1, 3)
