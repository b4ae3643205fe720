"""The values ``--lifter`` takes, checked without loading anything (no torch): names and checkpoint files."""
from __future__ import annotations

from pathlib import Path

from weights.registry import ModelFileError, resolve

# The lifters by name (README, "3D lifter"); 'auto' is resolved by lifters.api.auto_lifter_spec.
BUILT_IN = ("auto", "blazepose3d", "mixste-synthetic")
# The published checkpoints, by their names in weights/registry.toml (fetched into the model cache).
PUBLISHED_FILES = {"mixste": "best_epoch_cpn_243f.bin", "strided": "strided_no_refine_351.pth"}
LIFTER_NAMES = BUILT_IN + tuple(PUBLISHED_FILES)


def lifter_checkpoint(spec: str) -> Path | None:
    """The checkpoint file a ``--lifter`` value stands for, or None for the built-in lifters.

    A published name is looked up in the model cache (fetched when the registry has a URL; else ``ModelFileError``
    says where to get it); anything with a suffix or a slash is a path and must be a file. Other values are a
    ValueError that lists the names.
    """
    if spec in BUILT_IN:
        return None
    if spec in PUBLISHED_FILES:
        return resolve(PUBLISHED_FILES[spec])
    if Path(spec).suffix or "/" in spec or "\\" in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelFileError(f"checkpoint file not found: {path}")
        return path
    raise ValueError(f"unknown lifter {spec!r}; choose {', '.join(map(repr, LIFTER_NAMES))} or a checkpoint path")
