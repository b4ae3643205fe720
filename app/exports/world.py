"""The world frame the exports share with the video's 3D panel, and the Y-up frame of BVH and TRC files."""
from __future__ import annotations

import numpy as np

from app.export import ClipKeypoints
from lifters.skeleton import fill_gaps, normalize_screen_coordinates


def world_trajectory(clip: ClipKeypoints) -> np.ndarray | None:
    """(P, T, 17, 3) float32 metres, z up, the floor at z = 0: the npz's world-frame 3D with each person's root
    trajectory (``keypoints_3d_world``, added by the trajectory stage), or None where the clip has none."""
    world = getattr(clip, "keypoints_3d_world", None)
    return None if world is None else np.asarray(world, np.float32)


def world_keypoints(clip: ClipKeypoints) -> np.ndarray:
    """(P, T, 17, 3) float32 metres in the world frame: z up, the floor at z = 0.

    The clip's own world trajectory (``keypoints_3d_world``, where the npz has it) is used as it is. Otherwise the
    root-relative 3D is placed as the video's 3D panel shows it (``app.pipeline.world_poses``: the seeds' camera
    rotation, the lowest joint of each pose on the floor, the pelvis above the origin, several people spread
    sideways by their image position), so the viewer, the BVH, the TRC and the video agree.
    """
    world = world_trajectory(clip)
    if world is not None:
        return world
    # Imported here: the pipeline imports the exports.
    from app.pipeline import world_poses
    from app.render import SideBySideRenderer

    normalized = np.stack([normalize_screen_coordinates(fill_gaps(clip.keypoints_2d[person], clip.valid[person]),
                                                        *clip.image_size)
                           for person in range(clip.num_people)])
    extent = SideBySideRenderer(*clip.image_size, num_people=clip.num_people).panel_3d.extent
    return world_poses(clip.keypoints_3d, normalized, spread=extent * 0.8)


# Rows: the Y-up axes in world (z-up) coordinates. BVH: x stays, y is up, z points towards -y of the world, which
# Blender's BVH importer (forward -Z, up Y: its defaults) maps straight back onto the world frame.
WORLD_TO_BVH = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
# TRC: Pose2Sim's z-up → y-up (X ← y, Y ← z, Z ← x), the convention OpenSim users of Sports2D/Pose2Sim get.
WORLD_TO_TRC = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
