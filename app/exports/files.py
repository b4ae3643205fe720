"""Writing an export file atomically: a temporary name beside it, renamed when complete."""
from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
