"""End-to-end speed (with the per-stage split) and peak memory of the demo pipeline.

    python benchmarks/bench_pipeline.py [--media ../shared/media] [--output /tmp/bench_pipeline]

Each measurement runs in a fresh Python process (so peak RSS is that run's alone): the sample clip for frames
per second, then dancer.avi in full against a 200-frame cut of it for memory. Prints a markdown section.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from lifters.api import auto_lifter_spec  # noqa: E402

DEFAULT_LIFTER = auto_lifter_spec("blazepose", "blazepose")  # what the CLI's defaults run


def run_one(video: Path, output: Path, lifter_spec: str) -> dict:
    """Runs inside the child process: one video through the pipeline with the default 2D stage."""
    from app.pipeline import Pipeline, RunOptions
    from lifters.api import load_lifter

    start = time.perf_counter()
    lifter = load_lifter(lifter_spec)
    lifter_load_seconds = time.perf_counter() - start
    result = Pipeline(lifter, RunOptions(output_dir=output, progress=False)).run(video)
    return {"frames": result.num_frames, "seconds": result.seconds, "lifter_load_seconds": lifter_load_seconds,
            "stages": result.stage_seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(video: Path, output: Path, lifter_spec: str = DEFAULT_LIFTER) -> dict:
    result = subprocess.run([sys.executable, __file__, "--one", str(video), "--output", str(output),
                             "--lifter", lifter_spec],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def cut(source: Path, destination: Path, num_frames: int, first: int = 0) -> Path:
    """Frames ``first`` to ``first + num_frames - 1`` of ``source`` as an MPEG-4 AVI at the same rate."""
    import cv2

    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS)
    writer = None
    for index in range(first + num_frames):
        ok, frame = capture.read()
        if not ok:
            break
        if index < first:
            continue
        if writer is None:
            writer = cv2.VideoWriter(str(destination), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                     (frame.shape[1], frame.shape[0]))
        writer.write(frame)
    writer.release()
    capture.release()
    return destination


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    parser.add_argument("--output", type=Path, default=Path(tempfile.gettempdir()) / "bench_pipeline")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lifter", default=DEFAULT_LIFTER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.output, args.lifter)))
        return

    sample = REPO / "videos" / "sports2d_demo.mp4"
    speed = measure(sample, args.output)
    speed_network = measure(sample, args.output, "mixste-synthetic")
    dancer = args.media / "dancer.avi"
    dancer_cut = cut(dancer, args.output / "dancer_200.avi", 200) if dancer.exists() else None
    memory = [(dancer_cut, measure(dancer_cut, args.output)), (dancer, measure(dancer, args.output))] \
        if dancer_cut else []

    print(f"### End-to-end pipeline (default models)\n\nCommand: `python benchmarks/bench_pipeline.py`; "
          f"machine: {platform.machine()}, {os.cpu_count()} cores, torch CPU; each run in a fresh process.\n")
    frames = speed["frames"]
    for lifter_spec, result in ((DEFAULT_LIFTER, speed), ("mixste-synthetic", speed_network)):
        print(f"**{sample.name}** ({frames} frames, 1768×994), `--lifter {lifter_spec}`: {result['seconds']:.1f} s → "
              f"**{frames / result['seconds']:.1f} frames/s end to end** (plus {result['lifter_load_seconds']:.1f} s "
              "to load the lifter once).\n")
        print("| stage | seconds | frames/s | share of the run |\n|---|---|---|---|")
        for stage, seconds in result["stages"].items():
            print(f"| {stage} | {seconds:.2f} | {frames / max(seconds, 1e-9):.0f} | "
                  f"{100 * seconds / result['seconds']:.0f} % |")
        print()
    if memory:
        print("\n| clip | frames | seconds | frames/s | peak RSS (MB) |\n|---|---|---|---|---|")
        for video, result in memory:
            print(f"| {video.name} | {result['frames']} | {result['seconds']:.1f} | "
                  f"{result['frames'] / result['seconds']:.1f} | {result['peak_rss_mb']:.0f} |")
        ratio = memory[1][1]["peak_rss_mb"] / memory[0][1]["peak_rss_mb"]
        print(f"\nPeak memory, full clip / 200-frame cut: **{ratio:.2f}×** for "
              f"{memory[1][1]['frames'] / memory[0][1]['frames']:.1f}× the frames.")


if __name__ == "__main__":
    main()
