"""Command line: ``python run_demo.py --video clip.mp4`` or ``--input-dir folder/``."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from pathlib import Path

from app.errors import InputError
from app.video_io import VIDEO_SUFFIXES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_demo.py",
        description="Turn videos of people into side-by-side 2D | 3D skeleton videos and keypoint files.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--video", type=Path, action="append", help="a video file (repeat for several)")
    source.add_argument("--input-dir", type=Path, help="process every video in this folder")
    parser.add_argument("--output", type=Path, default=Path("output"),
                        help="output folder; each video gets <output>/<stem>/ (default: ./output)")
    parser.add_argument("--gif", action="store_true", help="also write <stem>.gif")
    parser.add_argument("--lifter", default="auto",
                        help="3D lifter: 'auto' (blazepose3d with the embedded BlazePose 2D, else mixste-synthetic), "
                             "'blazepose3d', 'mixste-synthetic', 'mixste', 'strided' or a checkpoint path "
                             "(default: %(default)s)")
    parser.add_argument("--device", default=None,
                        help="torch device for the lifter, YOLO and HRNet (default: cuda if available)")
    parser.add_argument("--detector", default="auto", help="person detector (default: %(default)s)")
    parser.add_argument("--pose2d", default="auto", help="2D keypoint model (default: %(default)s)")
    parser.add_argument("--max-people", type=int, default=None,
                        help="show at most this many people, the most prominent (default: everyone on screen for "
                             "at least a second, following up to 8 at once)")
    parser.add_argument("--azimuth", type=float, default=20.0,
                        help="3D view angle in degrees around the vertical; 0 = from the video's camera, 90 = side")
    parser.add_argument("--elevation", type=float, default=25.0, help="3D view height angle in degrees")
    parser.add_argument("--focal", type=float, default=None, metavar="PX",
                        help="the camera's focal length in pixels, when known (default: the video's metadata, "
                             "else a 30 mm-equivalent prior)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    return parser


def find_videos(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    videos = sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise InputError(f"{folder}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
    return videos


def output_names(videos: list[Path]) -> list[str]:
    """The stem of each video, made unique within the batch (clip.mp4 and clip.avi → clip_mp4, clip_avi)."""
    stems = [video.stem for video in videos]
    return [f"{video.stem}_{video.suffix.lstrip('.')}" if stems.count(video.stem) > 1 else video.stem
            for video in videos]


def _print_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0: every video succeeded, 1: some failed, 2: bad options)."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _print_warning
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.max_people is not None and args.max_people < 1:
        print("error: --max-people must be at least 1", file=sys.stderr)
        return 2
    if args.focal is not None and not args.focal > 0:
        print("error: --focal must be a positive number of pixels", file=sys.stderr)
        return 2
    try:
        videos = find_videos(args.input_dir) if args.input_dir else list(args.video)
        # Imported here so that --help and option errors answer without loading torch.
        from app.pipeline import Pipeline, RunOptions
        from detectors.api import choose_models
        from lifters.api import auto_lifter_spec, load_lifter

        models_2d = choose_models(args.detector, args.pose2d, args.max_people)  # option errors now, not per video
        lifter = load_lifter(auto_lifter_spec(*models_2d) if args.lifter == "auto" else args.lifter, args.device)
    except (InputError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    options = RunOptions(output_dir=args.output, gif=args.gif, detector=args.detector, pose2d=args.pose2d,
                         max_people=args.max_people, device=args.device, azimuth=args.azimuth,
                         elevation=args.elevation, focal_px=args.focal,
                         progress=not args.no_progress and sys.stderr.isatty())
    pipeline = Pipeline(lifter, options)
    print(f"lifter: {lifter.description}", file=sys.stderr)
    failures = 0
    for video, name in zip(videos, output_names(videos)):
        try:
            result = pipeline.run(video, name)
        except (InputError, ValueError) as error:
            failures += 1
            print(f"error: {error}", file=sys.stderr)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except Exception as error:  # one broken video must not stop the batch
            failures += 1
            if args.debug:
                traceback.print_exc()
            print(f"error: {video}: unexpected failure ({type(error).__name__}: {error}); "
                  "rerun with --debug for details", file=sys.stderr)
        else:
            print(result.summary())
    if len(videos) > 1:
        print(f"{len(videos) - failures} of {len(videos)} videos done", file=sys.stderr)
    return 1 if failures else 0
