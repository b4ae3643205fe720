"""``--resume``: whether a video's output folder already holds everything a run with these options would write.

A folder is complete when it carries ``app.output_set.MARKER`` (only a set whose every file was written is ever
swapped in) and holds each file the options ask for: the MP4, the npz, the GIF with ``--gif``, and each export,
one file per person for the per-person formats (the people are read from the npz). A folder written with fewer
exports or without the GIF is not complete for a run that asks for them, and is made again.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from app.exports.files import person_paths
from app.output_set import MARKER

PER_PERSON_EXPORTS = ("bvh", "trc")  # one <stem>_person<track id>.<name> per person; the others one <stem>.<name>


def expected_files(folder: Path, stem: str, gif: bool, exports: tuple[str, ...], track_ids: np.ndarray
                   ) -> list[Path]:
    """The files a run writes into ``folder`` for a clip whose people have ``track_ids`` (P,)."""
    files = [folder / MARKER, folder / f"{stem}.mp4", folder / f"{stem}_keypoints.npz"]
    if gif:
        files.append(folder / f"{stem}.gif")
    for name in exports:
        files += (person_paths(folder, stem, track_ids, f".{name}") if name in PER_PERSON_EXPORTS
                  else [folder / f"{stem}.{name}"])
    return files


def complete_output(folder: Path, stem: str, gif: bool, exports: tuple[str, ...]) -> bool:
    """True when ``folder`` holds a complete output set with every file these options write (see above)."""
    npz = folder / f"{stem}_keypoints.npz"
    if not (folder / MARKER).is_file() or not npz.is_file():
        return False
    try:
        with np.load(npz) as data:
            track_ids = data["track_ids"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):  # not an npz this program wrote
        return False
    return all(path.is_file() for path in expected_files(folder, stem, gif, exports, track_ids))
