"""Exports of a clip's keypoints beside its npz: BVH, JSON, CSV, TRC and the interactive HTML viewer.

Each is a pure function of ``app.export.ClipKeypoints``, so it can be written during a run (``--export``) or later
from an npz (``python -m app.exports FILE_keypoints.npz``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from app.export import ClipKeypoints
from app.exports.bvh import write_bvh
from app.exports.tables import write_csv, write_json, write_trc
from app.exports.viewer import write_viewer

# name → writer(clip, folder, stem) -> the paths written
EXPORTERS: dict[str, Callable[[ClipKeypoints, Path, str], list[Path]]] = {
    "html": write_viewer, "bvh": write_bvh, "json": write_json, "csv": write_csv, "trc": write_trc}
DEFAULT_EXPORTS = "all"


def parse_exports(text: str) -> tuple[str, ...]:
    """``--export`` → the export names: a comma list of ``EXPORTERS`` names, ``all`` or ``none``."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return tuple(EXPORTERS)
    if names == ["none"]:
        return ()
    unknown = [name for name in names if name not in EXPORTERS]
    if unknown or not names:
        raise ValueError(f"--export: unknown format {', '.join(unknown) or repr(text)}; choose from "
                         f"{', '.join(EXPORTERS)}, or all, or none")
    return tuple(dict.fromkeys(names))


def write_exports(clip: ClipKeypoints, folder: Path, stem: str, names: tuple[str, ...]) -> list[Path]:
    """Write the exports ``names`` of ``clip`` into ``folder`` as ``<stem>...``; returns the paths written."""
    return [path for name in names for path in EXPORTERS[name](clip, Path(folder), stem)]
