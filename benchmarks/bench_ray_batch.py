"""A folder of 4 clips: the sequential batch against ``--ray`` on a local Ray instance, whole processes, paired.

    python benchmarks/bench_ray_batch.py [--repeats 2] [--media ../shared/media] [--output /tmp/bench_ray]

The folder holds the sample clip, its first 115 frames, and dancer.avi's first 300 and frames 300-599 (without
``--media``'s dancer.avi: two more cuts of the sample clip). Each repeat runs ``run_demo.py --input-dir`` once
without and once with ``--ray`` (a local Ray instance with this machine's CPUs, started and stopped by the run), in
fresh processes; the outputs of the two are compared file by file. Prints a markdown section with the medians.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.bench_pipeline import cut  # noqa: E402


def files(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.md5(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=REPO.parent / "shared" / "media")
    parser.add_argument("--output", type=Path, default=Path(tempfile.gettempdir()) / "bench_ray")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    folder = args.output / "videos"
    shutil.rmtree(args.output, ignore_errors=True)
    folder.mkdir(parents=True)
    sample = REPO / "videos" / "sports2d_demo.mp4"
    shutil.copy(sample, folder / sample.name)
    cut(sample, folder / "sports2d_first115.avi", 115)
    dancer = args.media / "dancer.avi"
    if dancer.exists():
        cut(dancer, folder / "dancer_0_300.avi", 300)
        cut(dancer, folder / "dancer_300_600.avi", 300, first=300)
    else:
        cut(sample, folder / "sports2d_last115.avi", 115, first=115)
        cut(sample, folder / "sports2d_middle.avi", 115, first=60)
    frames = {path.name: int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT))
              for path in sorted(folder.iterdir())}

    load_before = os.getloadavg()
    seconds = {"sequential": [], "ray": []}
    same = []
    for repeat in range(args.repeats):
        outputs = {}
        for mode, extra in (("sequential", []), ("ray", ["--ray"])):
            outputs[mode] = args.output / f"{mode}_{repeat}"
            start = time.perf_counter()
            subprocess.run([sys.executable, str(REPO / "run_demo.py"), "--input-dir", str(folder), "--output",
                            str(outputs[mode]), "--no-progress", *extra], check=True, capture_output=True)
            seconds[mode].append(time.perf_counter() - start)
        same.append(files(outputs["sequential"]) == files(outputs["ray"]))
    load_after = os.getloadavg()

    median = {mode: statistics.median(values) for mode, values in seconds.items()}
    print(f"Command: `python benchmarks/bench_ray_batch.py --repeats {args.repeats}`; {os.cpu_count()} cores, "
          f"a local Ray instance with {os.cpu_count()} CPUs (one video per CPU); load average (1, 5, 15 min) before "
          f"{', '.join(f'{value:.1f}' for value in load_before)}, after "
          f"{', '.join(f'{value:.1f}' for value in load_after)}.\n")
    print(f"Folder: {', '.join(f'{name} ({count} frames)' for name, count in frames.items())}.\n")
    print("| batch | seconds (median) | every run | against sequential |\n|---|---|---|---|")
    for mode in seconds:
        runs = ", ".join(f"{value:.1f}" for value in seconds[mode])
        print(f"| {mode} | {median[mode]:.1f} | {runs} | {median[mode] / median['sequential']:.2f}× |")
    print(f"\nOutputs of the two batches byte-identical in {sum(same)} of {len(same)} repeats.")


if __name__ == "__main__":
    main()
