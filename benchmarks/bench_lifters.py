"""Lifter throughput (output frames per second) of the released StridedTransformer-351 and MixSTE-243 sizes.

Each lifter runs twice in one process on the same random clip: "one window at a time" as the seeds do it (per
window one forward of the window and one of its mirror, batch 1: StridedTransformer's demo/vis.py, MixSTE's
run.py evaluate), and batched through the project's runners (many windows and their mirrors per forward).
The two are interleaved over ``--repeats`` rounds and the best round of each is reported, so load from other
processes on the machine hits both alike. Weights are random: speed does not depend on them.

    .venv/bin/python benchmarks/bench_lifters.py --threads 2
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from lifters.official import build
from lifters.runner import CentreFrameLifter, SequenceLifter
from lifters.skeleton import flip_pose
from lifters.windowing import WindowPlan

STRIDED_RELEASED = dict(layers=3, channel=256, d_hid=512, frames=351, stride_num=[3, 9, 13], n_joints=17,
                        out_joints=17)
MIXSTE_RELEASED = dict(num_frame=243, num_joints=17, in_chans=2, embed_dim_ratio=512, depth=8, num_heads=8,
                       mlp_ratio=2.0)


def strided_one_window_at_a_time(module: torch.nn.Module, clip: np.ndarray) -> np.ndarray:
    """demo/vis.py: per output frame, the edge-padded 351-frame window and its mirror, each at batch 1."""
    pad = (module.frames - 1) // 2
    padded = np.pad(clip, [(pad, pad), (0, 0), (0, 0)], mode="edge")
    poses = []
    with torch.inference_mode():
        for frame in range(len(clip)):
            window = padded[frame:frame + module.frames]
            plain = module(torch.from_numpy(window[None]))[0][0, 0].numpy()
            mirrored = module(torch.from_numpy(flip_pose(window)[None]))[0][0, 0].numpy()
            poses.append((plain + flip_pose(mirrored)) / 2)
    poses = np.stack(poses)
    poses[:, 0] = 0
    return poses


def mixste_one_window_at_a_time(module: torch.nn.Module, clip: np.ndarray, overlap: int) -> np.ndarray:
    """run.py evaluate: per 243-frame window, the window and its mirror, each at batch 1."""
    plan = WindowPlan.for_clip(len(clip), module.num_frame, overlap)
    outputs = []
    with torch.inference_mode():
        for window in plan.windows(clip):
            plain = module(torch.from_numpy(window[None]))[0].numpy()
            mirrored = module(torch.from_numpy(flip_pose(window)[None]))[0].numpy()
            outputs.append((plain + flip_pose(mirrored)) / 2)
    poses = plan.merge(np.stack(outputs))
    return poses - poses[:, :1]


def timed(function) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def compare(name: str, frames: int, one_at_a_time, batched, repeats: int) -> None:
    times = {"one window at a time": [], "batched": []}
    for _ in range(repeats):
        seconds, reference = timed(one_at_a_time)
        times["one window at a time"].append(seconds)
        seconds, result = timed(batched)
        times["batched"].append(seconds)
    difference = np.abs(result - reference).max()
    best = {mode: min(values) for mode, values in times.items()}
    for mode, seconds in best.items():
        print(f"{name:<28} {mode:<22} {frames:>5} frames  {seconds:8.2f} s  {frames / seconds:8.2f} frames/s  "
              f"(rounds: {', '.join(f'{value:.2f}' for value in times[mode])} s)")
    print(f"{name:<28} batched / one-at-a-time speed: "
          f"{best['one window at a time'] / best['batched']:.2f}x   max |difference| {difference:.1e} m")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--strided-frames", type=int, default=96, help="output frames for StridedTransformer")
    parser.add_argument("--strided-batch", type=int, default=32, help="windows per forward (plus their mirrors)")
    parser.add_argument("--mixste-frames", type=int, default=486, help="output frames for MixSTE")
    parser.add_argument("--mixste-batch", type=int, default=4, help="windows per forward (plus their mirrors)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")

    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    strided = build("strided", STRIDED_RELEASED)
    clip = rng.uniform(-0.5, 0.5, (args.strided_frames, 17, 2)).astype(np.float32)
    runner = CentreFrameLifter(strided, 351, device="cpu", batch_size=args.strided_batch)
    compare("StridedTransformer-351", args.strided_frames, lambda: strided_one_window_at_a_time(strided, clip),
            lambda: runner(clip), args.repeats)

    mixste = build("mixste", MIXSTE_RELEASED)
    clip = rng.uniform(-0.5, 0.5, (args.mixste_frames, 17, 2)).astype(np.float32)
    runner = SequenceLifter(mixste, 243, device="cpu", batch_size=args.mixste_batch)
    compare("MixSTE-243", args.mixste_frames, lambda: mixste_one_window_at_a_time(mixste, clip, runner.overlap),
            lambda: runner(clip), args.repeats)


if __name__ == "__main__":
    main()
