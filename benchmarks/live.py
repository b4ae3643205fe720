"""The live mode's numbers (issue 15): one command that prints the BENCHMARKS.md "Live" tables.

    .venv/bin/python benchmarks/live.py [--output DIR] [--parts throughput accuracy tuning]

1. Throughput, drops and latency: ``--realtime`` playback (``app.live``, the CLI's live path with the browser
   preview publishing every composite, no window, no recording) of the sample clip and of the eval clips, with one
   person and with two (``--max-people``); latency is capture → composite ready, median and 95th percentile.
2. The accuracy cost of causality on ../shared/eval-dev (skipped when absent): PA-MPJPE of the live path (every
   frame processed, in order: the same causal computation as live, without the drops of a busy machine) against
   the offline pipeline's (CLI defaults), each scored by the eval set's ``score3d_multi.py``.
3. The one-euro filter's tuning: on the people of the real clips, the distance (mm, root-relative) of the causal
   filter's output to the offline zero-phase 6 Hz result, over a grid of its two constants.
The machine's load (``os.getloadavg``) is printed beside the timings: on a shared machine they are pessimistic.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.export import ClipKeypoints, save_keypoints  # noqa: E402
from app.live.engine import LiveEngine  # noqa: E402
from app.live.preview import MjpegPreview, encode_jpeg  # noqa: E402
from app.live.recording import clip_keypoints, people_record  # noqa: E402
from app.live.run import (LIVE_DETECT_EVERY, LIVE_DETECTOR_IMAGE_SIZE, build_live_estimator,  # noqa: E402
                          use_torch_threads_for)
from app.live.session import run_live  # noqa: E402
from app.live.sources import CapturedFrame, RealtimeFileSource  # noqa: E402
from app.live.view import LiveView  # noqa: E402
from app.pipeline import RunOptions, StageTimer, detect_people, lift_people  # noqa: E402
from app.video_io import VideoReader  # noqa: E402
from detectors.api import choose_models, resolve_model_files  # noqa: E402
from detectors.flip_correction import correct_left_right_flips  # noqa: E402
from lifters.api import load_lifter  # noqa: E402
from lifters.blazepose3d import CUTOFF_HZ, coco_world_to_h36m, smooth_zero_phase  # noqa: E402
from lifters.causal import CausalLifter  # noqa: E402
from lifters.one_euro import BETA, MIN_CUTOFF_HZ, OneEuroFilter  # noqa: E402
from lifters.skeleton import fill_gaps  # noqa: E402
from lifters.world.camera import clip_intrinsics  # noqa: E402

SAMPLE = ROOT / "videos" / "sports2d_demo.mp4"
EVAL_DIR = ROOT.parent / "shared" / "eval-dev"
MIN_CUTOFFS = (1.0, 2.0, 4.0, 6.0, 8.0)
BETAS = (0.0, 1.0, 3.0, 10.0, 30.0)
DETECTOR_SECONDS = 0.065  # YOLO at 640 px on the development CPU (BENCHMARKS.md, "Live")
PARTS = ("throughput", "stages", "accuracy", "tuning", "mixste")


def live_engine(fps: float, image_size: tuple[int, int], max_people: int | None, lifter=None) -> LiveEngine:
    """The engine the CLI's live mode builds (its 2D schedule, blazepose3d causal by default)."""
    estimator = build_live_estimator(resolve_model_files(*choose_models("auto", "auto", max_people))[0], max_people,
                                     None)
    engine = LiveEngine(estimator, lifter or CausalLifter(load_lifter("blazepose3d")), clip_intrinsics(image_size),
                        fps)
    engine.warm_up(*image_size)
    return engine


def realtime_run(video: Path, max_people: int | None, lifter_name: str = "blazepose3d") -> dict:
    """One --realtime playback through ``run_live``, publishing every composite to a preview as the CLI does."""
    import torch

    default_threads = torch.get_num_threads()
    lifter = CausalLifter(load_lifter(lifter_name))
    use_torch_threads_for(lifter)
    source = RealtimeFileSource(video)
    engine = live_engine(source.fps, source.frame_size, max_people, lifter)
    preview = MjpegPreview(0)
    people = []

    def publish(processed, composite):
        people.append(len(processed.track_ids))
        preview.publish(encode_jpeg(composite))

    load_before, cpu_before = os.getloadavg()[0], os.times()
    try:
        stats = run_live(source, engine, lambda p: LiveView(*source.frame_size, source.fps), [publish],
                         threading.Event())
    finally:
        engine.close()
        preview.close()
        torch.set_num_threads(default_threads)
    cpu_after = os.times()
    cpu_seconds = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    latency = 1000 * stats.latencies()
    return dict(clip=video.name, fps=source.fps, max_people=max_people or "all", lifter=lifter_name,
                captured=stats.captured,
                processed=stats.processed, dropped=stats.dropped, rate=stats.processed_rate(),
                median=float(np.median(latency)), p95=float(np.percentile(latency, 95)),
                people=float(np.mean(people)), load=(load_before + os.getloadavg()[0]) / 2,
                cpu_ms=1000 * cpu_seconds / max(stats.processed, 1))


def throughput_table(clips: list[Path]) -> None:
    print("| clip (fps) | --max-people | lifter | people shown (mean) | captured | processed | frames/s | dropped | "
          "latency median (ms) | latency p95 (ms) | CPU ms per processed frame | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    runs = [(video, max_people, "blazepose3d") for video in clips for max_people in (1, 2)]
    for video, max_people, lifter_name in runs + [(clips[0], 1, "mixste-synthetic")]:
        row = realtime_run(video, max_people, lifter_name)
        print(f"| {row['clip']} ({row['fps']:g}) | {row['max_people']} | {row['lifter']} | {row['people']:.2f} | "
              f"{row['captured']} | {row['processed']} | {row['rate']:.1f} | {row['dropped']} "
              f"({100 * row['dropped'] / row['captured']:.0f} %) | {row['median']:.0f} | {row['p95']:.0f} | "
              f"{row['cpu_ms']:.0f} | {row['load']:.1f} |", flush=True)


def stage_costs(video: Path, max_people: int = 1) -> None:
    """Each stage's wall time per frame, one after another in one process, on every frame of ``video``."""
    import time

    reader = VideoReader(video)
    seconds = dict(decode=0.0, detect_and_follow=0.0, flip_lift_world=0.0, view=0.0, jpeg=0.0)
    engine = view = None
    frames = iter(reader)
    count = 0
    while True:
        start = time.perf_counter()
        image = next(frames, None)
        seconds["decode"] += time.perf_counter() - start
        if image is None:
            break
        engine = engine or live_engine(reader.fps, (image.shape[1], image.shape[0]), max_people)
        estimator = engine.estimator
        timed = _Timed(estimator, seconds)
        engine.estimator = timed
        start = time.perf_counter()
        processed = engine(CapturedFrame(count, count / reader.fps, 0.0, image))
        seconds["flip_lift_world"] += time.perf_counter() - start - timed.seconds
        engine.estimator = estimator
        view = view or LiveView(image.shape[1], image.shape[0], reader.fps)
        start = time.perf_counter()
        composite = view(processed, "status")
        seconds["view"] += time.perf_counter() - start
        start = time.perf_counter()
        encode_jpeg(composite)
        seconds["jpeg"] += time.perf_counter() - start
        count += 1
    engine.close()
    print(f"{video.name}, {count} frames, --max-people {max_people}, load avg {os.getloadavg()[0]:.1f}; ms per frame "
          "(the whole-frame detector runs on its own thread, outside these):\n")
    print("| " + " | ".join(seconds) + " |\n|" + "---|" * len(seconds))
    print("| " + " | ".join(f"{1000 * value / count:.1f}" for value in seconds.values()) + " |")


class _Timed:
    """Wraps the 2D stage, adding its wall time to ``seconds['detect_and_follow']``."""

    def __init__(self, estimator, totals: dict[str, float]):
        self.estimator, self.totals, self.seconds = estimator, totals, 0.0

    def __call__(self, frames):
        import time

        start = time.perf_counter()
        poses = self.estimator(frames)
        self.seconds = time.perf_counter() - start
        self.totals["detect_and_follow"] += self.seconds
        return poses


def every_frame(video: Path, max_people: int | None, lifter=None) -> tuple[list, object, float, LiveEngine]:
    """The live path on every frame of ``video`` in order (media time = index / fps) → (records, the last
    processed frame, fps, the engine). Each whole-frame detection is used as many frames after its own frame as
    ``DETECTOR_SECONDS`` takes at the clip's rate (repeatable, unlike "when ready" on a loop faster than real time)."""
    reader = VideoReader(video)
    records, last, engine = [], None, None
    try:
        for index, image in enumerate(reader):
            if engine is None:
                engine = live_engine(reader.fps, (image.shape[1], image.shape[0]), max_people, lifter)
                engine.estimator.result_delay = math.ceil(DETECTOR_SECONDS * reader.fps)
            last = engine(CapturedFrame(index, index / reader.fps, 0.0, image))
            records.append(people_record(last))
    finally:
        if engine is not None:
            engine.close()
    return records, last, reader.fps, engine


def accuracy_table(output: Path) -> None:
    import torch

    from benchmarks.accuracy_3d import load_scorer, score

    scorer = load_scorer()
    ground_truth = np.load(EVAL_DIR / "pose2sim_multi.npz")
    names = [str(name) for name in ground_truth["cam_names"]]
    people = [str(name) for name in ground_truth["person_names"]]
    lifter_names = ("blazepose3d", "mixste-synthetic")
    offline_lifters = {name: load_lifter(name) for name in lifter_names}
    rows: dict[str, list[dict]] = {}
    for view, camera in enumerate(names):
        video = EVAL_DIR / "media" / f"{camera}.mp4"
        reader = VideoReader(video)
        tracks, image_size = detect_people(reader, RunOptions(output_dir=output, progress=False), StageTimer())
        tracks, _ = correct_left_right_flips(tracks)
        outputs = {}
        for name in lifter_names:
            keypoints_2d, scores_2d, _, keypoints_3d = lift_people(offline_lifters[name], tracks, image_size,
                                                                   reader.fps)
            outputs[f"offline {name}"] = ClipKeypoints(keypoints_2d, scores_2d, keypoints_3d, tracks.valid,
                                                       tracks.track_ids, reader.fps, image_size, name)
            default_threads = torch.get_num_threads()
            lifter = CausalLifter(offline_lifters[name])
            use_torch_threads_for(lifter)
            records, last, fps, engine = every_frame(video, None, lifter)
            torch.set_num_threads(default_threads)
            outputs[f"live {name}"] = clip_keypoints(records, last, fps, engine.camera, name)
        for label, clip in outputs.items():
            npz = output / label.replace(" ", "_") / f"{camera}_keypoints.npz"
            npz.parent.mkdir(parents=True, exist_ok=True)
            save_keypoints(npz, clip)
            for person, row in enumerate(score(scorer, npz, view)):
                rows.setdefault(label, []).append(dict(row, view=camera, person=people[person]))
        print(f"{camera} done", file=sys.stderr, flush=True)
    columns = [(row["view"], row["person"]) for row in rows["offline blazepose3d"]]
    print("| path | " + " | ".join(f"{view} {person}" for view, person in columns) + " | mean PA-MPJPE | vs offline "
          "| mean MPJPE | mean MPJVE | coverage |")
    print("|---|" + "---|" * (len(columns) + 5))
    for label, label_rows in rows.items():
        pa = np.array([row["PA_MPJPE"] for row in label_rows])
        offline_mean = np.mean([row["PA_MPJPE"] for row in rows["offline " + label.split(" ", 1)[1]]])
        matched = sum(row["coverage"][0] for row in label_rows)
        total = sum(row["coverage"][1] for row in label_rows)
        print(f"| {label} | " + " | ".join(f"{value:.1f}" for value in pa) + f" | {pa.mean():.1f} | "
              f"{pa.mean() / offline_mean:.3f} | {np.mean([row['MPJPE'] for row in label_rows]):.1f} | "
              f"{np.mean([row['MPJVE'] for row in label_rows]):.2f} | {matched}/{total} |")


def tuning_table(clips: list[Path], output: Path) -> None:
    """Per grid point, the mean joint distance (mm) of the one-euro output to the zero-phase result."""
    sequences = []  # (world H36M (T, 17, 3), fps) per person-stretch of the offline 2D stage
    for video in clips:
        reader = VideoReader(video)
        tracks, _ = detect_people(reader, RunOptions(output_dir=output, progress=False), StageTimer())
        tracks, _ = correct_left_right_flips(tracks)
        for person in range(tracks.num_people):
            world = tracks.world_keypoints[person]
            seen = tracks.valid[person] & np.isfinite(world).all(axis=(1, 2))
            if seen.sum() < 10:
                continue
            sequences.append((coco_world_to_h36m(fill_gaps(world, seen)), reader.fps))
    references = []
    for raw_poses, fps in sequences:
        reference = smooth_zero_phase(raw_poses, CUTOFF_HZ / fps)  # what blazepose3d does offline
        references.append(reference - reference[:, :1])

    def distance(filtered: list[np.ndarray]) -> float:
        return 1000 * float(np.mean([np.linalg.norm(poses - reference, axis=-1).mean()
                                     for poses, reference in zip(filtered, references)]))
    raw = distance([raw - raw[:, :1] for raw, _ in sequences])
    print(f"{len(sequences)} people over {len(clips)} clips; BlazePose's raw world landmarks are {raw:.1f} mm from "
          "the zero-phase result.\n")
    print("| min cutoff (Hz) \\ beta | " + " | ".join(f"{beta:g}" for beta in BETAS) + " |")
    print("|---|" + "---|" * len(BETAS))
    for min_cutoff in MIN_CUTOFFS:
        cells = []
        for beta in BETAS:
            filtered = []
            for raw_poses, fps in sequences:
                smoothing = OneEuroFilter(min_cutoff, beta)
                poses = np.stack([smoothing(pose, index / fps) for index, pose in enumerate(raw_poses)])
                filtered.append(poses - poses[:, :1])
            value = distance(filtered)
            cells.append(f"**{value:.1f}**" if (min_cutoff, beta) == (MIN_CUTOFF_HZ, BETA) else f"{value:.1f}")
        print(f"| {min_cutoff:g} | " + " | ".join(cells) + " |", flush=True)


def mixste_rate(frames: int = 30) -> None:
    """The causal MixSTE window (243 frames, past-padded, flip-averaged) per frame and person, on the CPU, with
    torch on 2 threads and on 1 (interleaved)."""
    import time

    import torch

    lifter = CausalLifter(load_lifter("mixste-synthetic"))
    keypoints = np.random.default_rng(0).uniform(-0.5, 0.5, (frames, 17, 2)).astype(np.float32)
    default_threads = torch.get_num_threads()
    print("| torch threads | median ms per frame and person | max ms | frames/s (one person) | load avg |\n"
          "|---|---|---|---|---|")
    for threads in (default_threads, 1, default_threads, 1):
        torch.set_num_threads(threads)
        person = lifter.new_person()
        person(keypoints[0], None, 0.0)  # the first call builds the graph
        times = []
        for index in range(1, frames):
            start = time.perf_counter()
            person(keypoints[index], None, index / 30)
            times.append(time.perf_counter() - start)
        print(f"| {threads} | {1000 * np.median(times):.0f} | {1000 * np.max(times):.0f} | "
              f"{1 / np.median(times):.1f} | {os.getloadavg()[0]:.1f} |", flush=True)
    torch.set_num_threads(default_threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "output" / "bench_live")
    parser.add_argument("--parts", nargs="*", choices=PARTS, default=PARTS, help="what to measure (default: all)")
    args = parser.parse_args()
    have_eval = (EVAL_DIR / "pose2sim_multi.npz").exists()
    eval_clips = sorted((EVAL_DIR / "media").glob("cam0*.mp4")) if have_eval else []
    print(f"Command: `python benchmarks/live.py`; {os.cpu_count()} CPU cores; 2D: YOLO at {LIVE_DETECTOR_IMAGE_SIZE} "
          f"px every {LIVE_DETECT_EVERY} frames in the background + BlazePose; lifter blazepose3d (causal).")
    if "throughput" in args.parts:
        print("\n## Live: --realtime playback\n")
        throughput_table([SAMPLE] + eval_clips[:1])
    if "stages" in args.parts:
        print("\n## Live: what a frame costs, stage by stage\n")
        stage_costs(SAMPLE)
    if have_eval and "accuracy" in args.parts:
        print("\n## Live: the accuracy cost of causality (eval-dev, PA-MPJPE mm)\n")
        accuracy_table(args.output)
    if "mixste" in args.parts:
        print("\n## Live: the causal MixSTE window\n")
        mixste_rate()
    if "tuning" in args.parts:
        print("\n## Live: one-euro constants against the zero-phase 6 Hz result (mm, root-relative)\n")
        tuning_table([SAMPLE] + eval_clips, args.output)


if __name__ == "__main__":
    main()
