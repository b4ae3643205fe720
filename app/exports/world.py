"""The world frame the exports share with the video's 3D panel, and the Y-up frame of BVH and TRC files."""
from __future__ import annotations

import numpy as np

from app.export import ClipKeypoints


def world_trajectory(clip: ClipKeypoints) -> np.ndarray | None:
    """(P, T, 17, 3) float32 metres, z up, the floor at z = 0: the npz's world-frame 3D with each person's root
    trajectory (``keypoints_3d_world``, added by the trajectory stage), or None where the clip has none."""
    world = getattr(clip, "keypoints_3d_world", None)
    return None if world is None else np.asarray(world, np.float32)


def world_keypoints(clip: ClipKeypoints) -> np.ndarray:
    """(P, T, 17, 3) float32 metres in the world frame: z up, the floor at z = 0, the camera looking along +y.

    The clip's own world trajectory (``keypoints_3d_world``) is used as it is; an npz written before the pipeline
    placed people in the world is placed now, as the pipeline does it (``lifters.world.scene``, focal-length prior),
    so the viewer, the BVH, the TRC and the video agree.
    """
    world = world_trajectory(clip)
    if world is not None:
        return world
    from lifters.world.camera import clip_intrinsics
    from lifters.world.scene import build_scene

    scene = build_scene(clip.keypoints_3d, clip.keypoints_2d, clip.scores_2d, clip.valid,
                        clip_intrinsics(clip.image_size), clip.fps)
    return np.asarray(scene.keypoints_world, np.float32)


# Rows: the Y-up axes in world (z-up) coordinates. BVH: x stays, y is up, z points towards -y of the world, which
# Blender's BVH importer (forward -Z, up Y: its defaults) maps straight back onto the world frame.
WORLD_TO_BVH = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
# TRC: Pose2Sim's z-up → y-up (X ← y, Y ← z, Z ← x), the convention OpenSim users of Sports2D/Pose2Sim get.
WORLD_TO_TRC = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
