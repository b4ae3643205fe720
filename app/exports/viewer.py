"""``<stem>.html``: an interactive 3D viewer in one self-contained file (three.js inlined, no network at view time).

It shows every person's skeleton on a ground grid in the world frame (``world.world_keypoints``, as the video's 3D
panel), with orbit/zoom/pan, play/pause, a frame slider, speed and the frame number; when ``<stem>.mp4`` sits
beside the file it plays next to the 3D and drives its clock, so both stay on the same frame.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np

from app.export import ClipKeypoints
from app.exports.files import write_text_atomically
from app.exports.world import world_keypoints, world_trajectory
from app.render import LEFT_COLOUR, RIGHT_COLOUR, _bone_colour, person_colour
from lifters.skeleton import H36M_BONES

ASSETS = Path(__file__).resolve().parent / "assets"
GRID_SPACING = 0.5  # metres
# The initial viewpoint, as the video's 3D panel by default: 20° around the vertical from the video's camera,
# 12° above the horizon.
VIEW_AZIMUTH, VIEW_ELEVATION = 20.0, 25.0  # as the video's 3D panel (the CLI's defaults)


def _hex(bgr: tuple[int, int, int]) -> str:
    blue, green, red = bgr
    return f"#{red:02x}{green:02x}{blue:02x}"


def _view(world: np.ndarray, valid: np.ndarray) -> dict:
    """Where the camera starts: the video's camera direction (+y of the world frame), turned by the panel's angles,
    far enough to see every detected pose; and the ground grid around them."""
    shown = world[valid] if valid.any() else world.reshape(-1, 17, 3)
    low, high = shown[..., :2].min(axis=(0, 1)), shown[..., :2].max(axis=(0, 1))
    centre = (low + high) / 2
    radius = max(float(np.max(high - low)) / 2, 1.0)
    forward = np.array([0.0, 1.0, 0.0])  # the world frame's camera looks along +y
    azimuth = np.arctan2(-forward[1], -forward[0]) + np.radians(VIEW_AZIMUTH)
    elevation = np.radians(VIEW_ELEVATION)
    eye = [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    return {"centre": [round(float(v), 3) for v in centre], "eye_direction": [round(float(v), 6) for v in eye],
            "eye_distance": round(2.2 * radius + 2.5, 3), "grid_size": 2 * int(np.ceil(radius + 1)),
            "grid_spacing": GRID_SPACING}


def viewer_data(clip: ClipKeypoints) -> dict:
    """What the page draws: per person its colours, detected frames and joints in whole millimetres."""
    world = world_keypoints(clip)
    people = []
    for person, track_id in enumerate(clip.track_ids):
        people.append({
            "track_id": int(track_id),
            "colour": _hex(person_colour(track_id)),
            "bone_colours": [_hex(_bone_colour(child, track_id)) for _, child in H36M_BONES],
            "valid": clip.valid[person].astype(int).tolist(),
            "positions_mm": np.round(world[person] * 1000).astype(int).ravel().tolist(),
        })
    return {"num_frames": clip.num_frames, "fps": float(clip.fps), "lifter": clip.lifter,
            "world_trajectory": world_trajectory(clip) is not None,
            "bones": [list(bone) for bone in H36M_BONES], "left_colour": _hex(LEFT_COLOUR),
            "right_colour": _hex(RIGHT_COLOUR), "people": people, **_view(world, clip.valid)}


def viewer_html(clip: ClipKeypoints, title: str, video_name: str) -> str:
    """The page for ``clip``; ``video_name`` is the side-by-side MP4 it looks for beside itself."""
    # "</" cannot appear inside a <script> element; JSON allows "<\/" for it.
    data = json.dumps(viewer_data(clip), separators=(",", ":")).replace("</", "<\\/")
    values = {"{{TITLE}}": html.escape(title), "{{VIDEO}}": html.escape(quote(video_name)), "{{DATA}}": data,
              "/*THREE*/": (ASSETS / "three.min.js").read_text(encoding="utf-8")}
    page = (ASSETS / "viewer.html").read_text(encoding="utf-8")
    return re.sub("|".join(re.escape(key) for key in values), lambda match: values[match.group(0)], page)


def write_viewer(clip: ClipKeypoints, folder: Path, stem: str) -> list[Path]:
    path = folder / f"{stem}.html"
    write_text_atomically(path, viewer_html(clip, stem, f"{stem}.mp4"))
    return [path]
