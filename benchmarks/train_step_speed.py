"""Training throughput of the project's lifter on this machine: float32 vs bfloat16 autocast, by window size.

    python benchmarks/train_step_speed.py [--threads 1] [--steps 4]

Times full training steps (forward, loss, backward, AdamW) on synthetic batches, after 2 warm-up steps, and prints
the median step time and training frames per second for each setting.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lifters.train import TrainingConfig, Trainer  # noqa: E402


def measure(window: int, embed: int, batch: int, bfloat16: bool, steps: int) -> float:
    config = {"model": dict(num_frame=window, num_joints=17, in_chans=2, embed_dim_ratio=embed, depth=4, num_heads=8,
                            mlp_ratio=2.0),
              "training": TrainingConfig(seed=0, steps=10 ** 6, batch_size=batch, learning_rate=1e-3,
                                         bfloat16_autocast=bfloat16),
              "data": {"source": "synthetic"}, "noise": {}}
    trainer = Trainer(config, torch.device("cpu"))
    times = []
    for index in range(steps + 2):
        started = time.perf_counter()
        trainer.train_step()
        if index >= 2:
            times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads")
    # About 420 frames per step for each window length, at the shipped model width.
    for window, embed, batch in ((27, 64, 16), (81, 64, 5), (243, 64, 2)):
        seconds = {bf16: measure(window, embed, batch, bf16, args.steps) for bf16 in (False, True)}
        for bf16, value in seconds.items():
            print(f"window {window} embed {embed} batch {batch} {'bfloat16' if bf16 else 'float32 '}: "
                  f"{value:.3f} s/step, {window * batch / value:.0f} frames/s")
        print(f"  bfloat16 / float32 step time: {seconds[True] / seconds[False]:.2f}")


if __name__ == "__main__":
    main()
