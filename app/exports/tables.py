"""The keypoints as JSON, CSV (long format) and TRC (OpenSim markers): pure functions of ``ClipKeypoints``.

Numbers are written to fixed precision: pixels to 0.001 px, scores to 0.0001, metres to 1e-6 m (a micrometre), so
reading a file back gives the npz values within half of that. Formats in the README (section Exports).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

import app
from app.export import ClipKeypoints
from app.exports.files import person_paths, write_text_atomically
from app.exports.world import WORLD_TO_TRC, world_keypoints, world_trajectory
from lifters.skeleton import H36M_JOINT_NAMES

JSON_FORMAT_VERSION = 1
PIXEL_DECIMALS, SCORE_DECIMALS, METRE_DECIMALS = 3, 4, 6


def _rounded(values: np.ndarray, decimals: int) -> list:
    return np.round(np.asarray(values, np.float64), decimals).tolist()


def json_document(clip: ClipKeypoints) -> dict:
    """The JSON export as a Python object (schema in the README)."""
    world = world_trajectory(clip)
    pixels = _rounded(clip.keypoints_2d, PIXEL_DECIMALS)
    scores = _rounded(clip.scores_2d, SCORE_DECIMALS)
    metres = _rounded(clip.keypoints_3d, METRE_DECIMALS)
    metres_world = None if world is None else _rounded(world, METRE_DECIMALS)
    frames = []
    for frame in range(clip.num_frames):
        people = []
        for person, track_id in enumerate(clip.track_ids):
            valid = bool(clip.valid[person, frame])
            joints = {}
            for joint, name in enumerate(H36M_JOINT_NAMES):
                x, y = pixels[person][frame][joint] if valid else (None, None)
                entry = {"x": x, "y": y, "score": scores[person][frame][joint] if valid else None,
                         "xyz": metres[person][frame][joint]}
                if metres_world is not None:
                    entry["xyz_world"] = metres_world[person][frame][joint]
                joints[name] = entry
            people.append({"track_id": int(track_id), "valid": valid, "joints": joints})
        frames.append({"frame": frame, "time": round(frame / clip.fps, 6), "people": people})
    units = {
        "x, y": "pixels of the upright frame, x right, y down; null where the person was not detected",
        "score": "2D confidence in [0, 1]; null where the person was not detected",
        "xyz": "metres, root-relative (pelvis = 0), camera frame: x right, y down, z away from the camera",
    }
    if world is not None:
        units["xyz_world"] = "metres, world frame: z up, the floor at z = 0"
    return {
        "format": "video3d-keypoints", "format_version": JSON_FORMAT_VERSION, "video3d_version": app.__version__,
        "fps": float(clip.fps), "image_size": [int(v) for v in clip.image_size], "num_frames": clip.num_frames,
        "lifter": clip.lifter, "joint_names": list(H36M_JOINT_NAMES), "track_ids": [int(v) for v in clip.track_ids],
        "units": units, "frames": frames,
    }


CSV_COLUMNS = ("frame", "time", "track_id", "valid", "joint", "x_px", "y_px", "score", "x_m", "y_m", "z_m")
CSV_WORLD_COLUMNS = ("x_world_m", "y_world_m", "z_world_m")


def csv_text(clip: ClipKeypoints) -> str:
    """Long format: one row per frame × person × joint (columns ``CSV_COLUMNS``, then ``CSV_WORLD_COLUMNS`` where
    the clip has a world trajectory); 2D cells are empty where the person was not detected."""
    world = world_trajectory(clip)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + (CSV_WORLD_COLUMNS if world is not None else ()))
    pixel, score, metre = f"{{:.{PIXEL_DECIMALS}f}}", f"{{:.{SCORE_DECIMALS}f}}", f"{{:.{METRE_DECIMALS}f}}"
    for frame in range(clip.num_frames):
        time = f"{frame / clip.fps:.6f}"
        for person, track_id in enumerate(clip.track_ids):
            valid = bool(clip.valid[person, frame])
            for joint, name in enumerate(H36M_JOINT_NAMES):
                x, y = clip.keypoints_2d[person, frame, joint]
                row = [frame, time, int(track_id), int(valid), name]
                row += ([pixel.format(x), pixel.format(y), score.format(clip.scores_2d[person, frame, joint])]
                        if valid else ["", "", ""])
                row += [metre.format(v) for v in clip.keypoints_3d[person, frame, joint]]
                if world is not None:
                    row += [metre.format(v) for v in world[person, frame, joint]]
                writer.writerow(row)
    return out.getvalue()


def trc_text(positions_world: np.ndarray, fps: float, name: str) -> str:
    """One person's markers as an OpenSim TRC file, laid out as Pose2Sim and Sports2D write it: tab-separated,
    metres, Y up (``world.WORLD_TO_TRC``), the H36M-17 joint names as marker names, frames numbered from 0.

    positions_world: (T, 17, 3) metres, z up. name: the file name written into the first line.
    """
    markers = np.asarray(positions_world, np.float64) @ WORLD_TO_TRC.T
    frames, count = markers.shape[:2]
    rate = f"{fps:g}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{frames}\t{count}\tm\t{rate}\t0\t{frames}",
        "Frame#\tTime\t" + "\t\t\t".join(H36M_JOINT_NAMES) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, count + 1)),
    ]
    metre = f"{{:.{METRE_DECIMALS}f}}"
    for frame in range(frames):
        lines.append("\t".join([str(frame), f"{frame / fps:.6f}"] + [metre.format(v) for v in markers[frame].ravel()]))
    return "\n".join(lines) + "\n"


def write_json(clip: ClipKeypoints, folder: Path, stem: str) -> list[Path]:
    path = folder / f"{stem}.json"
    write_text_atomically(path, json.dumps(json_document(clip), separators=(",", ":")))
    return [path]


def write_csv(clip: ClipKeypoints, folder: Path, stem: str) -> list[Path]:
    path = folder / f"{stem}.csv"
    write_text_atomically(path, csv_text(clip))
    return [path]


def write_trc(clip: ClipKeypoints, folder: Path, stem: str) -> list[Path]:
    """``<stem>_person<track id>.trc`` for each person (Pose2Sim writes one TRC per person too)."""
    world = world_keypoints(clip)
    paths = person_paths(folder, stem, clip.track_ids, ".trc")
    for person, path in enumerate(paths):
        write_text_atomically(path, trc_text(world[person], clip.fps, path.name))
    return paths
