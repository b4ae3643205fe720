"""Export file names, and writing a file atomically: a temporary name beside it, renamed when complete."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def person_paths(folder: Path, stem: str, track_ids: np.ndarray, suffix: str) -> list[Path]:
    """``<stem>_person<track id><suffix>`` for each person, for the formats with one file per person."""
    return [folder / f"{stem}_person{int(track_id)}{suffix}" for track_id in track_ids]


def write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
