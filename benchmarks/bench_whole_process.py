"""The whole process against the 2D model's own speed, paired in one sitting.

    python benchmarks/bench_whole_process.py [--repeats 3] [--media ../shared/media] [--output /tmp/bench_whole]
        [--today CHECKOUT] [--clips sports2d_demo.mp4,dancer.avi] [--modes floor,2d floor,pipeline,...]

For each clip (``--clips``: names in ``videos/`` or ``--media``; default the sample clip, and dancer.avi when
``--media`` has it) and each repeat, fresh Python processes run one after another, one per mode (``--modes``, default
all), so that load from other programs falls on all of them alike:

* ``floor``: decode every frame and run BlazePose alone on it (MediaPipe's one-person pose solution), nothing else;
* ``2d floor``: decode every frame and run the default 2D stage alone (YOLO11n-pose every 10th frame + BlazePose
  following each person), one after another on one thread, torch on one thread (as fast as two on a quiet 2-core
  machine, far faster on a busy one);
* ``pipeline``: the default pipeline, everything the CLI writes by default (``RunOptions()``: stages overlapped);
* ``one landmark process``: the pipeline with ``RunOptions(landmark_process=False)``: BlazePose's landmark calls
  all in the main process (as before issue 14's worker process);
* ``sequential``: the same with ``RunOptions(parallel=False)``, the stages one after another;
* ``today``, with ``--today CHECKOUT`` (a checkout of the code before the stages overlapped, e.g.
  ``git clone . /tmp/today && git -C /tmp/today checkout 71e70f3``): that checkout's ``run_demo.py`` on the clip,
  with this environment's Python.

Each time is the process's wall time from start to exit (imports and model loading included), with its CPU time
(user + system, its children such as ffmpeg included) as a share of 2 cores. Prints a markdown section with the
medians and the load average before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
MODES = ("floor", "2d floor", "pipeline", "one landmark process", "sequential")


def run_mode(mode: str, video: Path, output: Path) -> None:
    """Runs inside the child process (every mode but ``today``)."""
    sys.path.insert(0, str(REPO))
    from app.video_io import VideoReader

    reader = VideoReader(video)
    if mode in ("floor", "2d floor"):
        import torch

        from detectors.api import build_pose_estimator

        torch.set_num_threads(1)
        estimator = build_pose_estimator("blazepose" if mode == "floor" else "auto", "auto", landmark_process=False)
        for frame in reader:
            estimator([frame])
        estimator.close()
        return
    from app.pipeline import Pipeline, RunOptions
    from detectors.api import DEFAULT_YOLO
    from lifters.api import auto_lifter_spec, load_lifter

    lifter = load_lifter(auto_lifter_spec(DEFAULT_YOLO, "blazepose"))
    options = RunOptions(output_dir=output, progress=False, parallel=mode != "sequential",
                         landmark_process=mode == "pipeline")
    Pipeline(lifter, options).run(video)


def measure(mode: str, video: Path, output: Path, today: Path | None) -> dict:
    if mode == "today":
        command = [sys.executable, str(today / "run_demo.py"), "--video", str(video), "--output", str(output),
                   "--no-progress"]
    else:
        command = [sys.executable, __file__, "--one", mode, str(video), "--output", str(output)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": wall, "cpu_share": cpu / wall / os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    parser.add_argument("--output", type=Path, default=Path(tempfile.gettempdir()) / "bench_whole")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--today", type=Path, help="a checkout of the code before this change, also timed")
    parser.add_argument("--clips", help="comma-separated clip names (in videos/ or --media)")
    parser.add_argument("--modes", help=f"comma-separated modes (default: {','.join(MODES)}; 'pipeline' is always run)")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_mode(args.one[0], Path(args.one[1]), args.output)
        return
    modes = tuple(args.modes.split(",")) if args.modes else MODES
    modes = tuple(dict.fromkeys(("pipeline",) + modes)) + (("today",) if args.today else ())
    if args.clips:
        clips = [next((folder / name for folder in (REPO / "videos", args.media) if (folder / name).exists()),
                      args.media / name) for name in args.clips.split(",")]
    else:
        clips = [REPO / "videos" / "sports2d_demo.mp4"] + [path for path in [args.media / "dancer.avi"]
                                                           if path.exists()]
    load_before = os.getloadavg()
    frames = {clip: int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT)) for clip in clips}
    runs = {(clip, mode): [] for clip in clips for mode in modes}
    for _ in range(args.repeats):
        for clip in clips:
            for mode in modes:
                runs[clip, mode].append(measure(mode, clip, args.output / mode.replace(" ", "_"), args.today))
                print(f"{clip.name}, {mode}: {runs[clip, mode][-1]['seconds']:.1f} s (load "
                      f"{os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    options = " ".join(f"--{name} '{value}'" for name, value in (("clips", args.clips), ("modes", args.modes))
                       if value)
    print(f"Command: `python benchmarks/bench_whole_process.py --repeats {args.repeats}{' ' * bool(options)}{options}`; "
          f"{os.cpu_count()} cores; medians of {args.repeats} interleaved runs; load average (1, 5, 15 min) before "
          f"{', '.join(f'{value:.1f}' for value in load_before)}, after "
          f"{', '.join(f'{value:.1f}' for value in load_after)}.\n")
    titles = {"floor": "floor (decode + BlazePose)", "2d floor": "2D floor (decode + default 2D)"}
    others = [mode for mode in modes if mode != "pipeline"]
    timed = [mode for mode in modes if mode not in titles]  # the whole process: its CPU share is shown
    print("| clip | frames | " + " | ".join(titles.get(mode, mode) for mode in modes) + " | "
          + " | ".join(f"pipeline / {mode}" for mode in others) + " | "
          + " | ".join(f"CPU, {mode}" for mode in timed) + " |")
    print("|---" * (2 + len(modes) + len(others) + len(timed)) + "|")
    for clip in clips:
        median = {mode: statistics.median(run["seconds"] for run in runs[clip, mode]) for mode in modes}
        cpu = {mode: statistics.median(run["cpu_share"] for run in runs[clip, mode]) for mode in modes}
        print(f"| {clip.name} | {frames[clip]} | " + " | ".join(f"{median[mode]:.1f} s" for mode in modes) + " | "
              + " | ".join(f"{median['pipeline'] / median[mode]:.2f}×" for mode in others) + " | "
              + " | ".join(f"{100 * cpu[mode]:.0f} %" for mode in timed) + " |")
    print("\nCPU: user + system time of the process and its children over its wall time, as a share of "
          f"{os.cpu_count()} cores. Every run, in seconds:\n")
    for (clip, mode), values in runs.items():
        seconds = ", ".join(f"{run['seconds']:.1f}" for run in values)
        print(f"- {clip.name}, {mode}: {seconds}")


if __name__ == "__main__":
    main()
