"""3D accuracy against real multi-view ground truth (../shared/eval-dev): a row per view, person and variant.

    .venv/bin/python benchmarks/accuracy_3d.py [--2d pipeline|stored] [--views cam01 cam02 ...] [--output DIR]
        [--pose2d auto|hrnet|FILE.pth] [--lifter SPEC ...]

The eval set (``../shared/eval-dev/README.md``) is four calibrated views of two people, 100 frames at 60 fps, with
3D triangulated from BlazePose 2D over the four views (pseudo ground truth: ~25-30 mm noise floor). Per view, the
2D stage runs once and every variant reuses its tracks:
- ``--2d pipeline`` (default): ``app.pipeline.detect_people`` on ``media/camXX.mp4`` with the CLI's 2D defaults;
- ``--2d stored``: the eval set's stored BlazePose baseline (raw monocular BlazePose, one tracker per person), as
  ``PoseTracks`` (COCO-17 from its 33 landmarks), which is exactly the kind of input the flip correction and the
  lifters get from the BlazePose 2D stage.
Each variant's output is written as the project's own ``camXX_keypoints.npz`` (``app.export.save_keypoints``) and
scored by the eval set's ``score3d_multi.py`` (imported from its path; per-frame matching of tracks to people by 2D).
Variants: the lifters on the flip-corrected tracks, BlazePose's world landmarks as they come (no flip correction,
smoothing or bone lengths: the baseline to beat), and the default lifter without flip correction and without each
of its cues. The constant mean pose (an oracle: that person's GT mean pose, no motion) is printed for reference.
``--lifter SPEC`` (repeatable) adds a row for any lifter ``--lifter`` of the CLI takes (``mixste``, ``strided``, a
checkpoint path) on the same flip-corrected tracks; with ``--pose2d hrnet`` (or an HRNet file) the 2D stage is
YOLO + HRNet, which gives no world landmarks, so only such rows are scored (the scorer's stored BlazePose baseline
is the comparison then).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.export import ClipKeypoints, save_keypoints  # noqa: E402
from app.pipeline import RunOptions, StageTimer, detect_people, lift_people  # noqa: E402
from app.video_io import VideoReader  # noqa: E402
from detectors.api import choose_models, resolve_model_files  # noqa: E402
from detectors.base import PoseTracks  # noqa: E402
from detectors.blazepose import BLAZEPOSE_TO_COCO  # noqa: E402
from detectors.flip_correction import correct_left_right_flips  # noqa: E402
from lifters.api import Track2D, load_lifter  # noqa: E402
from lifters.blazepose3d import BlazePose3DLifter, coco_world_to_h36m  # noqa: E402
from lifters.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT, bone_lengths  # noqa: E402

EVAL_DIR = ROOT.parent / "shared" / "eval-dev"
METRICS = ("MPJPE", "PA_MPJPE", "MPJVE")
SCORER_GATE = 0.5  # score3d_multi.py's default: a track matches a person within half their 2D height


class RawWorld:
    """BlazePose's world landmarks as they come, mapped to H36M-17 (no smoothing, no bone lengths)."""

    description = "BlazePose world landmarks, raw"

    def __call__(self, track: Track2D) -> np.ndarray:
        return coco_world_to_h36m(track.world_keypoints).astype(np.float32)


class HeldBones:
    """A candidate (issue 3's blazepose3d): blazepose3d, then every bone held at its clip median length, averaged
    between left and right, rescaled along its own direction from the pelvis out."""

    description = "BlazePose 3D (world landmarks, smoothed, constant bone lengths)"

    def __call__(self, track: Track2D) -> np.ndarray:
        poses = BlazePose3DLifter()(track).astype(np.float64)
        medians = np.median(bone_lengths(poses[track.scores.max(-1) > 0]), axis=0)
        by_child = {child: index for index, (_, child) in enumerate(H36M_BONES)}
        twin = dict(zip(H36M_LEFT + H36M_RIGHT, H36M_RIGHT + H36M_LEFT))
        held = poses.copy()
        for index, (parent, child) in enumerate(H36M_BONES):  # parents come before children in H36M order
            length = (medians[index] + medians[by_child[twin.get(child, child)]]) / 2
            bone = poses[:, child] - poses[:, parent]
            held[:, child] = held[:, parent] + bone / np.linalg.norm(bone, axis=-1, keepdims=True) * length
        return held.astype(np.float32)


class LegDepthFromLengths:
    """A candidate (issue 10's "straight standing legs"): blazepose3d, then the depth of each knee and ankle from its
    bone's clip median length and the bone's extent across the image axes (x, y), as in Taylor's 2000 method, with
    the sign of depth BlazePose gives: a leg as long across the picture as its bones is straight."""

    description = "BlazePose 3D (world landmarks, smoothed, leg depth from bone lengths)"

    def __call__(self, track: Track2D) -> np.ndarray:
        poses = BlazePose3DLifter()(track).astype(np.float64)
        detected = track.scores.max(-1) > 0
        fixed = poses.copy()
        for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):  # H36M right and left legs
            for parent, child in ((hip, knee), (knee, ankle)):
                bone = poses[:, child] - poses[:, parent]
                length = np.median(np.linalg.norm(bone[detected], axis=-1))
                across = np.linalg.norm(bone[:, :2], axis=-1)
                depth = np.sign(bone[:, 2]) * np.sqrt(np.clip(length ** 2 - across ** 2, 0, None))
                fixed[:, child] = fixed[:, parent] + np.concatenate([bone[:, :2], depth[:, None]], axis=-1)
        return fixed.astype(np.float32)


@dataclass
class Variant:
    name: str
    lifter: str                                              # key of the lifters built in main()
    prepare: Callable[[PoseTracks], PoseTracks]              # raw tracks → the tracks the lifter gets
    needs_world: bool = True


def corrected(tracks: PoseTracks) -> PoseTracks:
    return correct_left_right_flips(tracks)[0]


VARIANTS = (
    Variant("BlazePose world, raw", "raw", lambda tracks: tracks),
    Variant("blazepose3d (default)", "blazepose3d", corrected),
    Variant("blazepose3d, no flip correction", "blazepose3d", lambda tracks: tracks),
    Variant("blazepose3d, flip correction by motion alone (no twist cue)", "blazepose3d",
            lambda tracks: correct_left_right_flips(tracks, twist_weight=0.0)[0]),
    Variant("blazepose3d smoothed at 3 Hz", "blazepose3d 3 Hz", corrected),
    Variant("blazepose3d smoothed at 12 Hz", "blazepose3d 12 Hz", corrected),
    Variant("blazepose3d, bone lengths held (issue 3)", "held bones", corrected),
    Variant("blazepose3d, leg depth from bone lengths", "leg depth", corrected),
    Variant("mixste-synthetic", "mixste-synthetic", corrected, needs_world=False),
)


def load_scorer():
    """The eval set's scorer module (numpy only), imported from its file."""
    spec = importlib.util.spec_from_file_location("score3d_multi", EVAL_DIR / "score3d_multi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stored_tracks(ground_truth, view: int) -> PoseTracks:
    """The stored BlazePose baseline of one view as the 2D stage's raw tracks (P = 2 people, T = 100 frames)."""
    detected = ground_truth["blazepose_detected"][view]
    def coco(key: str) -> np.ndarray:
        values = np.nan_to_num(ground_truth[key][view][:, :, list(BLAZEPOSE_TO_COCO)]).astype(np.float32)
        values[~detected] = 0
        return values
    num_people, num_frames = detected.shape
    return PoseTracks(coco("blazepose33_2d"), np.clip(coco("blazepose33_vis"), 0, 1),
                      np.zeros((num_people, num_frames, 4), np.float32), detected.copy(),
                      np.arange(num_people, dtype=np.int64), coco("blazepose33_world"))


def score(scorer, keypoints_npz: Path, view: int) -> list[dict]:
    """Per GT person: MPJPE, PA_MPJPE, MPJVE (mm) and coverage (matched, GT-valid frames)."""
    with contextlib.redirect_stdout(io.StringIO()):
        results = scorer.main([str(keypoints_npz), str(view), "--gt", str(EVAL_DIR / "pose2sim_multi.npz")])
    return [dict({name: metrics[name] for name in METRICS}, coverage=(matched, total))
            for metrics, matched, total in results]


def swapped_frames(keypoints_2d: np.ndarray, valid: np.ndarray, ground_truth, view: int) -> np.ndarray:
    """(GT people,) frames whose left and right limbs are the wrong way round: per frame, the track nearest the
    person's GT reprojection (mean limb-joint distance under half their GT height, as the scorer's gate) is closer to
    it with its left and right limb joints exchanged. keypoints_2d (P, T, 17, 2) px H36M-17, valid (P, T)."""
    target = ground_truth["gt_kp2d"][view].astype(np.float64)               # (G, T, 17, 2)
    target_valid = ground_truth["valid_cam"][view]                         # (G, T, 17)
    limbs = np.array(H36M_LEFT + H36M_RIGHT)
    exchange = dict(zip(H36M_LEFT + H36M_RIGHT, H36M_RIGHT + H36M_LEFT))
    counts = np.zeros(len(target), np.int64)
    for person in range(len(target)):
        for frame in range(target.shape[1]):
            joints = limbs[target_valid[person, frame, limbs]]
            if len(joints) < 4 or not valid[:, frame].any():
                continue
            height = np.ptp(target[person, frame, target_valid[person, frame], 1])
            distances = np.linalg.norm(keypoints_2d[:, frame, joints] - target[person, frame, joints], axis=-1).mean(-1)
            distances[~valid[:, frame]] = np.inf
            track = int(distances.argmin())
            if distances[track] >= SCORER_GATE * height:
                continue
            swapped = keypoints_2d[track, frame, [exchange[joint] for joint in joints]]
            counts[person] += np.linalg.norm(swapped - target[person, frame, joints], axis=-1).mean() < distances[track]
    return counts


def mean_pose_oracle(scorer, ground_truth, view: int) -> list[dict]:
    """The constant mean pose of each person (their GT mean pose in that camera) on all their GT-valid frames."""
    rows = []
    for person in range(ground_truth["gt_cam"].shape[1]):
        target = scorer.root_align(ground_truth["gt_cam"][view, person].astype(np.float64))
        valid = ground_truth["valid_cam"][view, person] & ground_truth["valid_cam"][view, person][:, :1]
        mean_pose = np.array([target[valid[:, joint], joint].mean(0) for joint in range(17)])
        metrics = scorer.metrics(np.repeat(mean_pose[None], len(target), 0), target, valid)
        rows.append(dict({name: metrics[name] for name in METRICS}, coverage=None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--2d", dest="source_2d", choices=("pipeline", "stored"), default="pipeline")
    parser.add_argument("--views", nargs="*", default=None, help="camera names (default: all four)")
    parser.add_argument("--max-people", type=int, default=None,
                        help="people the pipeline's 2D stage keeps (default: the CLI's, everyone on screen long "
                             "enough; the scorer matches them to the two GT people and ignores bystanders)")
    parser.add_argument("--output", type=Path, default=ROOT / "output" / "accuracy_3d")
    parser.add_argument("--pose2d", default="auto", help="the pipeline's 2D model, as the CLI's --pose2d")
    parser.add_argument("--lifter", dest="extra_lifters", action="append", default=[], metavar="SPEC",
                        help="one more row: a lifter as the CLI's --lifter takes it (repeatable)")
    args = parser.parse_args()
    if not (EVAL_DIR / "pose2sim_multi.npz").exists():
        sys.exit(f"error: {EVAL_DIR} is not available")
    if args.pose2d != "auto" and args.source_2d == "stored":
        sys.exit("error: --pose2d chooses the pipeline's 2D model; the stored 2D is BlazePose's")
    torch.set_num_threads(1)
    scorer = load_scorer()
    ground_truth = np.load(EVAL_DIR / "pose2sim_multi.npz")
    camera_names = [str(name) for name in ground_truth["cam_names"]]
    person_names = [str(name) for name in ground_truth["person_names"]]
    views = [camera_names.index(name) for name in (args.views or camera_names)]
    lifters = {"raw": RawWorld(), "blazepose3d": load_lifter("blazepose3d"), "held bones": HeldBones(),
               "leg depth": LegDepthFromLengths(),
               "blazepose3d 3 Hz": BlazePose3DLifter(cutoff_hz=3.0),
               "blazepose3d 12 Hz": BlazePose3DLifter(cutoff_hz=12.0),
               "mixste-synthetic": load_lifter("mixste-synthetic")}
    variants = list(VARIANTS)
    for spec in args.extra_lifters:
        try:
            lifters[spec] = load_lifter(spec)
        except (ValueError, OSError) as error:
            sys.exit(f"error: --lifter {spec}: {error}")
        variants.append(Variant(spec, spec, corrected, needs_world=False))
    try:  # as the CLI does: model files found (and checked) before any video is read
        detector, pose2d = resolve_model_files(*choose_models("auto", args.pose2d, args.max_people))
    except ValueError as error:
        sys.exit(f"error: {error}")
    options = RunOptions(output_dir=args.output, detector=detector, pose2d=pose2d, max_people=args.max_people,
                         progress=False)
    results: dict[str, list[dict]] = {}  # variant → rows with view, person and metrics
    relabelled_rows = []
    for view in views:
        camera = camera_names[view]
        video = EVAL_DIR / "media" / f"{camera}.mp4"
        fps = float(ground_truth["fps"])
        if args.source_2d == "stored":
            tracks, image_size = stored_tracks(ground_truth, view), tuple(ground_truth["image_size"][view])
        else:
            tracks, image_size = detect_people(VideoReader(video), options, StageTimer())
        _, relabelled = correct_left_right_flips(tracks)
        relabelled_rows.append(f"| {camera} | " + ", ".join(
            f"{count}/{frames}" for count, frames in zip(relabelled, tracks.valid.sum(1))) + " |")
        for person, oracle in enumerate(mean_pose_oracle(scorer, ground_truth, view)):
            results.setdefault("constant mean pose (GT oracle)", []).append(dict(oracle, view=camera, person=person))
        for variant in variants:
            if variant.needs_world and tracks.world_keypoints is None:
                continue
            prepared = variant.prepare(tracks)
            lifter = lifters[variant.lifter]
            keypoints_2d, scores_2d, _, keypoints_3d = lift_people(lifter, prepared, image_size, fps)
            folder = args.output / args.source_2d / "".join(
                character if character.isalnum() or character in "-." else "_" for character in variant.name)
            folder.mkdir(parents=True, exist_ok=True)
            npz = folder / f"{camera}_keypoints.npz"
            save_keypoints(npz, ClipKeypoints(keypoints_2d, scores_2d, keypoints_3d, prepared.valid,
                                              prepared.track_ids, fps, image_size, lifter.description))
            swaps = swapped_frames(keypoints_2d, prepared.valid, ground_truth, view)
            for person, row in enumerate(score(scorer, npz, view)):
                results.setdefault(variant.name, []).append(dict(row, view=camera, person=person,
                                                                 swapped=int(swaps[person])))
        print(f"{camera} done", file=sys.stderr, flush=True)
    print_tables(results, person_names, args.source_2d)
    print("\nFrames the flip correction relabels, per track of the 2D stage (relabelled / frames with that track):\n")
    print("| view | per track |\n|---|---|\n" + "\n".join(relabelled_rows))


def print_tables(results: dict[str, list[dict]], person_names: list[str], source_2d: str) -> None:
    print(f"2D: {source_2d}\n")
    print("| view | person | variant | coverage | MPJPE | PA-MPJPE | MPJVE (mm/frame) | L/R swapped frames |")
    print("|---|---|---|---|---|---|---|---|")
    rows = sorted((row["view"], row["person"], index, name, row)
                  for index, (name, name_rows) in enumerate(results.items()) for row in name_rows)
    for view, person, _, name, row in rows:
        coverage = "–" if row["coverage"] is None else f"{row['coverage'][0]}/{row['coverage'][1]}"
        print(f"| {view} | {person_names[person]} | {name} | {coverage} | {row['MPJPE']:.1f} | "
              f"{row['PA_MPJPE']:.1f} | {row['MPJVE']:.2f} | {row.get('swapped', '–')} |")
    baseline = results.get("BlazePose world, raw")
    columns = [(row["view"], row["person"]) for row in next(iter(results.values()))]
    print("\nPA-MPJPE (mm) per view and person; means over all of them, and the ratio to the raw world landmarks:\n")
    print("| variant | " + " | ".join(f"{view} {person_names[person]}" for view, person in columns)
          + " | mean PA-MPJPE | vs raw | mean MPJPE | mean MPJVE |")
    print("|---|" + "---|" * (len(columns) + 4))
    for name, name_rows in results.items():
        pa = np.array([row["PA_MPJPE"] for row in name_rows])
        ratio = f"{pa.mean() / np.mean([row['PA_MPJPE'] for row in baseline]):.3f}" if baseline else "–"
        print(f"| {name} | " + " | ".join(f"{value:.1f}" for value in pa) + f" | {pa.mean():.1f} | {ratio} | "
              f"{np.mean([row['MPJPE'] for row in name_rows]):.1f} | "
              f"{np.mean([row['MPJVE'] for row in name_rows]):.2f} |")


if __name__ == "__main__":
    main()
