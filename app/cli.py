"""Command line: ``python run_demo.py --video clip.mp4`` or ``--input-dir folder/``.

Everything that can be checked without a model is checked before torch is even imported: option values, input
paths, output folders (writable, not holding an input, not someone else's), model names and files (present, and
YOLO/HRNet pickles free of code). A problem there is one ``error:`` line and exit status 2, in well under 2 s.
SIGTERM and SIGHUP are raised as ``Terminated`` (like Ctrl-C), so every video's partial outputs are removed on
the way out; the exit status is then 128 + the signal number (130 for Ctrl-C).
"""
from __future__ import annotations

import argparse
import ctypes
import math
import os
import re
import signal
import sys
import threading
import traceback
import warnings
from collections import Counter
from pathlib import Path

from app.errors import InputError, OutputError, Terminated
from app.exports import parse_exports
from app.live.run import DEFAULT_PORT, check_no_live_options, is_live, run_live_command
from app.output_set import check_output_root, check_replaceable, signals_held
from app.video_io import VIDEO_SUFFIXES, check_video_path
from detectors.api import DETECTORS, POSE_MODELS, choose_models, resolve_model_files
from lifters.names import LIFTER_NAMES, lifter_checkpoint

DEVICE_PATTERN = re.compile(r"cpu|cuda(:\d+)?|mps")
TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Option errors as one line, like every other error (argparse prints the usage block)."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _whole_number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def _positive_int(text: str) -> int:
    value = _whole_number(text, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _camera_index(text: str) -> int:
    value = _whole_number(text, "a camera index (0, 1, ...)")
    if value < 0:
        raise argparse.ArgumentTypeError("a camera index is at least 0")
    return value


def _port(text: str) -> int:
    value = _whole_number(text, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port number is in 0..65535")
    return value


def _device(text: str) -> str:
    if not DEVICE_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"unknown device {text!r}: choose cpu, cuda, cuda:N or mps")
    return text


def check_device_quickly(device: str | None) -> None:
    """Refuse a device this machine cannot have, without importing torch (``lifters.runner.choose_device``, run
    next, decides for the others): CUDA needs the NVIDIA driver library, MPS needs macOS."""
    if device is None or device == "cpu":
        return
    if device == "mps" and sys.platform != "darwin":
        raise ValueError(f"device {device!r} was asked for, but MPS exists only on macOS")
    if device.startswith("cuda"):
        for library in ("nvcuda.dll",) if sys.platform == "win32" else ("libcuda.so.1", "libcuda.dylib"):
            try:
                ctypes.CDLL(library)
                return
            except OSError:
                continue
        raise ValueError(f"device {device!r} was asked for, but CUDA is not available (no NVIDIA driver)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="run_demo.py",
        description="Turn videos of people into side-by-side 2D | 3D skeleton videos and keypoint files.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--video", type=Path, action="append", help="a video file (repeat for several)")
    source.add_argument("--input-dir", type=Path, help="process every video in this folder")
    source.add_argument("--webcam", type=_camera_index, nargs="?", const=0, metavar="INDEX",
                        help="live: a webcam (default index 0); see the README's 'Live' section")
    source.add_argument("--stream", metavar="URL", help="live: a stream (RTSP, HTTP, ...) read through OpenCV/FFmpeg")
    source.add_argument("--realtime", type=Path, metavar="FILE",
                        help="live: a video file played at its own frame rate, as a camera would deliver it")
    parser.add_argument("--output", type=Path, default=Path("output"),
                        help="output folder; each video gets <output>/<stem>/, replaced as a whole on a rerun "
                             "(default: ./output)")
    parser.add_argument("--gif", action="store_true", help="also write <stem>.gif")
    parser.add_argument("--export", default="all",
                        help="data files beside the npz, a comma list of html (3D viewer), bvh, json, csv, trc; "
                             "or 'all' or 'none' (default: %(default)s)")
    parser.add_argument("--lifter", default="auto",
                        help=f"3D lifter: {', '.join(LIFTER_NAMES)} or a checkpoint path; auto = blazepose3d with "
                             "the embedded BlazePose 2D, else mixste-synthetic (default: %(default)s)")
    parser.add_argument("--device", type=_device, default=None,
                        help="torch device for the lifter, YOLO and HRNet: cpu, cuda, cuda:N or mps "
                             "(default: cuda if available)")
    parser.add_argument("--detector", default="auto",
                        help=f"person detector: {', '.join(DETECTORS)} or a YOLO .pt file (default: %(default)s)")
    parser.add_argument("--pose2d", default="auto",
                        help=f"2D keypoint model: {', '.join(POSE_MODELS)} or an HRNet .pth file "
                             "(default: %(default)s)")
    parser.add_argument("--max-people", type=_positive_int, default=None,
                        help="show at most this many people, the most prominent (default: everyone on screen for "
                             "at least a second, following up to 8 at once)")
    parser.add_argument("--azimuth", type=_finite_float, default=20.0,
                        help="3D view angle in degrees around the vertical; 0 = from the video's camera, 90 = side "
                             "(default: %(default)s)")
    parser.add_argument("--elevation", type=_finite_float, default=25.0,
                        help="3D view height angle in degrees (default: %(default)s)")
    parser.add_argument("--focal", type=_positive_float, default=None, metavar="PX",
                        help="the camera's focal length in pixels, when known (default: the video's metadata, "
                             "else a 30 mm-equivalent prior)")
    live = parser.add_argument_group("live (--webcam, --stream, --realtime)")
    live.add_argument("--port", type=_port, default=DEFAULT_PORT,
                      help="the browser preview at http://127.0.0.1:PORT/ (0: any free port; default: %(default)s)")
    live.add_argument("--no-window", action="store_true", help="no OpenCV window, the browser preview only")
    live.add_argument("--record", action="store_true",
                      help="record the session as <output>/live_<name>/ (MP4 and npz), kept on a stop")
    parser.add_argument("--resume", action="store_true",
                        help="skip the videos whose output folder already holds a complete set of what this run "
                             "would write (default: process every video again)")
    parser.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="run the videos as Ray tasks: on a local Ray instance, or on the cluster at ADDRESS "
                             "(auto, host:6379, ray://host:10001); --output must be a path every node sees "
                             "(needs requirements-ray.txt)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    return parser


def find_videos(folder: Path) -> list[Path]:
    """The video files directly in ``folder`` (regular files only: pipes and devices are skipped), sorted."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    videos = sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise InputError(f"{folder}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
    return videos


def distinct_videos(videos: list[Path]) -> list[Path]:
    """``videos`` without repeats of the same file (by device and inode: links count), with a warning for each."""
    seen, kept = {}, []
    for video in videos:
        status = video.stat()
        identity = (status.st_dev, status.st_ino)
        if identity in seen:
            warnings.warn(f"{video} is the same file as {seen[identity]}; processing it once")
            continue
        seen[identity] = video
        kept.append(video)
    return kept


def output_names(videos: list[Path]) -> list[str]:
    """One folder name per video, unique within the batch, compared case-insensitively (as macOS and Windows
    file systems do).

    A video whose stem no other video shares keeps its stem. Shared stems become ``<stem>_<suffix>`` (clip.mp4,
    clip.avi → clip_mp4, clip_avi); a name that is still taken gets ``_2``, ``_3``, … in input order
    (dA/a.mp4, dB/a.mp4 → a_mp4, a_mp4_2).
    """
    stem_counts = Counter(video.stem.casefold() for video in videos)
    names = [video.stem if stem_counts[video.stem.casefold()] == 1 else None for video in videos]
    taken = {name.casefold() for name in names if name is not None}
    for index, video in enumerate(videos):
        if names[index] is not None:
            continue
        base = f"{video.stem}_{video.suffix.lstrip('.')}"
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base}_{number}"
        names[index] = name
        taken.add(name.casefold())
    return names


def print_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def failure_line(video: Path, error: Exception, debug: bool = False) -> str:
    """The one ``error:`` line for a video that failed in the pipeline (with ``debug``, the traceback is printed
    first)."""
    if isinstance(error, (InputError, OutputError, ValueError)):
        return f"error: {error}"
    if isinstance(error, OSError):  # a write that failed under the pipeline (disk full, folder removed)
        return f"error: {video}: {error.strerror or error} ({error.filename or 'output'})"
    if debug:
        traceback.print_exception(error)
    return (f"error: {video}: unexpected failure ({type(error).__name__}: {error}); "
            "rerun with --debug for details")


def _raise_terminated(signal_number, frame):
    raise Terminated(signal_number)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0: every video succeeded, 1: some failed, 2: bad options or paths,
    128 + N: stopped by signal N)."""
    in_main_thread = threading.current_thread() is threading.main_thread()  # signal handlers live there
    previous = {number: signal.signal(number, _raise_terminated) for number in TERMINATING_SIGNALS if in_main_thread}
    try:
        return _run(argv)
    except KeyboardInterrupt as interrupt:  # Ctrl-C or Terminated; the current video's staging folder is gone
        number = interrupt.signal_number if isinstance(interrupt, Terminated) else signal.SIGINT
        print("terminated" if isinstance(interrupt, Terminated) else "interrupted", file=sys.stderr)
        return 128 + number
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _check_paths(args: argparse.Namespace) -> tuple[list[Path], list[str]]:
    """Inputs and output folders, before anything runs: → (videos, their output folder names)."""
    videos = find_videos(args.input_dir) if args.input_dir else list(args.video)
    for video in videos:
        check_video_path(video)
    videos = distinct_videos(videos)
    names = output_names(videos)
    check_output_root(args.output)
    for name in names:
        check_replaceable(args.output / name, videos)
    return videos, names


def load_lifter_for_2d(args: argparse.Namespace, detector: str, pose2d: str):
    """The first torch import, the device check that needs it, and the lifter for the resolved 2D stage →
    (lifter, its spec)."""
    from lifters.api import auto_lifter_spec, load_lifter
    from lifters.runner import choose_device

    if args.device is not None:
        choose_device(args.device)
    spec = auto_lifter_spec(detector, pose2d) if args.lifter == "auto" else args.lifter
    if args.device not in (None, "cpu") and (detector, pose2d, spec) == ("blazepose", "blazepose", "blazepose3d"):
        warnings.warn(f"--device {args.device} is not used: BlazePose and blazepose3d run on the CPU")
    return load_lifter(spec, args.device), spec


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = print_warning
    os.environ.setdefault("MPLBACKEND", "Agg")
    if is_live(args):
        return run_live_command(args)
    try:
        check_no_live_options(args)
        videos, names = _check_paths(args)
        exports = parse_exports(args.export)
        detector, pose2d = resolve_model_files(*choose_models(args.detector, args.pose2d, args.max_people))
        if args.lifter != "auto":
            lifter_checkpoint(args.lifter)
        check_device_quickly(args.device)
        if args.ray is not None:
            _check_ray_installed()
        # A Ctrl-C that lands inside a native extension's start-up (torch, mediapipe) can abort the process from
        # C++ ("terminate called after throwing pybind11::error_already_set"): signals wait until loading is done.
        with signals_held():
            lifter, lifter_spec = load_lifter_for_2d(args, detector, pose2d)
            from app.pipeline import Pipeline, RunOptions
    except (InputError, OutputError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    options = RunOptions(output_dir=args.output, gif=args.gif, detector=detector, pose2d=pose2d,
                         max_people=args.max_people, device=args.device, azimuth=args.azimuth,
                         elevation=args.elevation, exports=exports, focal_px=args.focal,
                         progress=not args.no_progress and sys.stderr.isatty())
    print(f"lifter: {lifter.description}", file=sys.stderr)
    jobs = list(zip(videos, names))
    if args.resume:
        jobs = _unfinished(jobs, options)
    if args.ray is not None:
        from app.ray_batch import run_on_ray

        failures = run_on_ray(jobs, options, lifter_spec, args.device, None if args.ray == "local" else args.ray,
                              args.debug)
    else:
        failures = _run_one_after_another(Pipeline(lifter, options), jobs, args.debug)
    if len(videos) > 1:
        print(f"{len(videos) - failures} of {len(videos)} videos done", file=sys.stderr)
    return 1 if failures else 0


def _check_ray_installed() -> None:
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise ValueError("--ray needs Ray: pip install -r requirements.txt -r requirements-ray.txt")


def _unfinished(jobs: list[tuple[Path, str]], options) -> list[tuple[Path, str]]:
    """``jobs`` without the videos whose output folder is already complete (``app.resume``), saying so."""
    from app.resume import complete_output

    unfinished = []
    for video, name in jobs:
        folder = Path(options.output_dir) / name
        if complete_output(folder, name, options.gif, options.exports):
            print(f"{video.name}: skipped, {folder} is complete (--resume)", file=sys.stderr)
        else:
            unfinished.append((video, name))
    return unfinished


def _run_one_after_another(pipeline, jobs: list[tuple[Path, str]], debug: bool) -> int:
    """The batch in this process; returns how many videos failed."""
    failures = 0
    for video, name in jobs:
        try:
            result = pipeline.run(video, name)
        except Exception as error:  # one broken video must not stop the batch
            failures += 1
            print(failure_line(video, error, debug), file=sys.stderr)
        else:
            print(result.summary())
    return failures
