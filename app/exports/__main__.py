"""Write exports from an existing npz: ``python -m app.exports FILE_keypoints.npz [--export LIST] [--output DIR]``."""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from app.export import ClipKeypoints
from app.exports import DEFAULT_EXPORTS, parse_exports, write_exports

NPZ_SUFFIX = "_keypoints.npz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.exports",
                                     description="Write BVH, JSON, CSV, TRC and the HTML viewer from a keypoints npz.")
    parser.add_argument("npz", type=Path, help="a <stem>_keypoints.npz written by run_demo.py")
    parser.add_argument("--export", default=DEFAULT_EXPORTS,
                        help="a comma list of html, bvh, json, csv, trc, or 'all' (default: %(default)s)")
    parser.add_argument("--output", type=Path, help="folder to write into (default: the npz's folder)")
    args = parser.parse_args(argv)
    try:
        names = parse_exports(args.export)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        clip = ClipKeypoints.load(args.npz)
    except FileNotFoundError:
        print(f"error: {args.npz}: no such file", file=sys.stderr)
        return 1
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        print(f"error: {args.npz}: not a keypoints npz ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    stem = args.npz.name[:-len(NPZ_SUFFIX)] if args.npz.name.endswith(NPZ_SUFFIX) else args.npz.stem
    folder = args.output or args.npz.parent
    folder.mkdir(parents=True, exist_ok=True)
    for path in write_exports(clip, folder, stem, names):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
