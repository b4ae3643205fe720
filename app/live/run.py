"""``run_demo.py --webcam [INDEX] | --stream URL | --realtime FILE``: the live mode's command line.

Checked before torch is imported, as for files: the options, the models, the recording folder, that the source
opens and the preview's port is free; a problem there is one ``error:`` line and exit status 2. Then frames are
processed until the source ends, ``q`` in the window, or Ctrl-C (or SIGTERM): each is a clean stop that keeps the
recording and prints the session's numbers (exit status 0).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

import cv2

from app.errors import InputError, OutputError
from app.live.preview import MjpegPreview, encode_jpeg
from app.live.sources import CameraSource, FrameSource, RealtimeFileSource
from app.output_set import check_output_root, check_replaceable, signals_held
from app.video_io import check_video_path

# The 2D stage live: YOLO at 640 px instead of 1280 (65 ms instead of 290 ms a run on the development CPU), every
# 10 frames as offline, on a thread of its own (BENCHMARKS.md, "Live").
LIVE_DETECTOR_IMAGE_SIZE = 640
LIVE_DETECT_EVERY = 10
WARM_UP_SIZE = (640, 480)  # px, when a camera does not say its frame size before the first frame
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


DEFAULT_PORT = 8765


def is_live(args: argparse.Namespace) -> bool:
    return args.webcam is not None or args.stream is not None or args.realtime is not None


def check_no_live_options(args: argparse.Namespace) -> None:
    """For file runs: the live-only options would do nothing, so they are an error."""
    given = [option for option, used in (("--record", args.record), ("--no-window", args.no_window),
                                         ("--port", args.port != DEFAULT_PORT)) if used]
    if given:
        raise ValueError(f"{', '.join(given)}: for live sources only (--webcam, --stream, --realtime)")


def open_source(args: argparse.Namespace) -> FrameSource:
    if args.realtime is not None:
        return RealtimeFileSource(args.realtime)
    return CameraSource(args.webcam if args.webcam is not None else args.stream)


def recording_name(args: argparse.Namespace) -> str:
    """The recording's folder under --output: live_<file stem>, live_webcam<N> or live_stream."""
    if args.realtime is not None:
        return f"live_{args.realtime.stem}"
    return f"live_webcam{args.webcam}" if args.webcam is not None else "live_stream"


def display_available() -> bool:
    """Whether an OpenCV window can open: on Linux only with an X or Wayland display (Qt aborts without one)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Window:
    """The composite in an OpenCV window; ``q`` or Esc in it sets ``stop``."""

    title = "video3d live (q to stop)"

    def __init__(self, stop: threading.Event):
        self.stop = stop

    def __call__(self, processed, composite) -> None:
        cv2.imshow(self.title, cv2.cvtColor(composite, cv2.COLOR_RGB2BGR))
        if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
            self.stop.set()

    def close(self) -> None:
        cv2.destroyAllWindows()


def build_live_estimator(detector: str, max_people: int | None, device: str | None):
    """The live 2D stage (``detectors.api.build_pose_estimator`` with the live schedule)."""
    from detectors.api import build_pose_estimator

    return build_pose_estimator(detector, "blazepose", max_people, device, LIVE_DETECTOR_IMAGE_SIZE,
                                LIVE_DETECT_EVERY, background_detection=True)


def use_torch_threads_for(lifter) -> None:
    """A network lifter runs on every frame: torch on one thread then. With its default of one thread per core,
    the causal MixSTE window took 80-120 ms a frame (up to 1 s) on the shared 2-core machine, on one thread 16 ms
    (BENCHMARKS.md, "Live"); blazepose3d runs no torch model per frame, so the detector keeps its threads."""
    import torch

    if not lifter.needs_world:
        torch.set_num_threads(1)


def check_live_options(args: argparse.Namespace) -> None:
    if args.gif:
        raise ValueError("--gif is for video files; a live session records with --record")
    if args.export != "all":
        raise ValueError("--export is for video files; a live session records the MP4 and the npz (--record)")
    if args.realtime is not None:
        check_video_path(args.realtime)


def run_live_command(args: argparse.Namespace) -> int:
    """The live mode of ``app.cli.main``; returns the exit status."""
    from app.cli import check_device_quickly, load_lifter_for_2d
    from detectors.api import choose_models, resolve_model_files
    from lifters.names import lifter_checkpoint

    preview = source = None
    try:
        check_live_options(args)
        detector, pose2d = resolve_model_files(*choose_models(args.detector, args.pose2d, args.max_people))
        if pose2d != "blazepose":
            raise ValueError("live, the 2D stage is BlazePose (it follows people frame by frame): leave --pose2d "
                             "at auto or blazepose")
        if args.lifter != "auto":
            lifter_checkpoint(args.lifter)
        check_device_quickly(args.device)
        folder = args.output / recording_name(args)
        if args.record:
            check_output_root(args.output)
            check_replaceable(folder, [args.realtime] if args.realtime is not None else [])
        source = open_source(args)
        try:
            preview = MjpegPreview(args.port)
        except OSError as error:
            raise InputError(f"--port {args.port}: cannot serve the preview there ({error.strerror})") from None
        with signals_held():
            from lifters.causal import CausalLifter

            lifter = CausalLifter(load_lifter_for_2d(args, detector, pose2d)[0])
    except (InputError, OutputError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        if preview is not None:
            preview.close()
        return 2
    try:
        return _session(args, source, preview, lifter, detector, folder)
    finally:
        preview.close()


def _session(args, source: FrameSource, preview: MjpegPreview, lifter, detector: str, folder: Path) -> int:
    from app.live.engine import LiveEngine
    from app.live.recording import LiveRecording
    from app.live.session import run_live
    from app.live.view import LiveView
    from lifters.world.camera import clip_intrinsics

    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in STOP_SIGNALS}
    print(f"lifter: {lifter.description}", file=sys.stderr)
    use_torch_threads_for(lifter)
    estimator = build_live_estimator(detector, args.max_people, args.device)
    camera = clip_intrinsics(source.frame_size, args.focal, args.realtime)
    engine = LiveEngine(estimator, lifter, camera, source.fps)
    engine.warm_up(*(size if min(size := source.frame_size) > 0 else WARM_UP_SIZE))
    window = Window(stop) if display_available() and not args.no_window else None
    print(f"live: {source.name} at {source.fps:g} fps | preview {preview.url}"
          + (" | window: q to stop" if window else "") + " | Ctrl-C to stop", file=sys.stderr)
    recording = None

    def publish(processed, composite) -> None:
        preview.publish(encode_jpeg(composite))

    def view_for(processed):
        nonlocal recording
        image = processed.frame.image
        view = LiveView(image.shape[1], image.shape[0], source.fps, args.azimuth, args.elevation)
        if args.record:
            inputs = (args.realtime,) if args.realtime is not None else ()
            recording = LiveRecording(folder, source.fps, view.size, camera, lifter.name, inputs).__enter__()
            sinks.append(recording.add)
        return view

    sinks = [publish] + ([window] if window else [])
    error = None
    try:
        stats = run_live(source, engine, view_for, sinks, stop)
    except Exception as failure:  # the recording is still closed (kept) below; the error is reported
        error, stats = failure, None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        engine.close()
        if window:
            window.close()
    if recording is not None:
        try:
            with signals_held():
                recording.__exit__(None, None, None)
            print(f"recorded: {folder}", file=sys.stderr)
        except (OutputError, OSError) as failure:
            print(f"error: the recording could not be written: {failure}", file=sys.stderr)
            return 1
    if error is not None:
        print(f"error: {source.name}: unexpected failure ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    if source.error:
        warnings.warn(f"the source ended with a read failure: {source.error}")
    print(f"{source.name}: {stats.summary()} | left/right flips corrected in {engine.corrected_frames} frames")
    return 0
