"""Everyone tracked: who the default 2D stage finds on the real clips, how well, and how fast.

    python benchmarks/multi_person.py [--shared ../shared] [--output FOLDER] [--no-speed | --speed-only]
                                      [--baseline-repo PATH]

Coverage (no timing): the eval set's four views scored by ``../shared/eval-dev/score3d_multi.py`` (coverage and
track switches per person), vtest.avi's people per frame and its frame 300, the sample clip's man and woman, and
dancer.avi's one dancer.
2D accuracy (no timing): the keypoints of the default stage (BlazePose following each person) and YOLO11n-pose's own
keypoints on every frame against the eval set's ground truth reprojected into each view.
Speed (``--no-speed`` skips it; run it on a quiet machine): the whole demo in fresh processes on the sample clip
and on vtest.avi (default and ``--max-people 6``), with the stage split; in the same run the single-person
BlazePose path (``--detector blazepose``) and the detector alone on every frame. ``--baseline-repo`` points at a
checkout of an earlier commit whose ``run_demo.py`` is timed on the same clips for the before/after comparison.
Prints markdown.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_demo(repo: Path, video: Path, output: Path, *options: str) -> tuple[str, float, float]:
    """One fresh ``run_demo.py`` process → (its summary line, wall seconds including start-up, its CPU time (user +
    system, its children's included) over the wall time as a share of the machine's cores)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(repo / "run_demo.py"), "--video", str(video), "--output",
                             str(output), "--no-progress", *options], cwd=repo, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{video.name} {options}: {result.stderr.strip().splitlines()[-1]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return result.stdout.strip().splitlines()[-1], seconds, cpu / seconds / os.cpu_count()


def keypoints_file(output: Path, video: Path) -> Path:
    return output / video.stem / f"{video.stem}_keypoints.npz"


def eval_views(shared: Path, output: Path) -> list[str]:
    scorer = shared / "eval-dev" / "score3d_multi.py"
    rows = ["| view | person | coverage | matched tracks | track switches |", "|---|---|---|---|---|"]
    for view in range(4):
        video = shared / "eval-dev" / "media" / f"cam0{view + 1}.mp4"
        run_demo(REPO, video, output)
        report = subprocess.run([sys.executable, str(scorer), str(keypoints_file(output, video)), str(view)],
                                capture_output=True, text=True, check=True).stdout
        for name, covered, total, tracks, switches in re.findall(
                r"GT person \d \((\w+)\): coverage (\d+)/(\d+) GT-valid frames.*?; matched (.*?); track switches (\d+)",
                report):
            rows.append(f"| cam0{view + 1} | {name} | {covered}/{total} ({100 * int(covered) / int(total):.1f} %) | "
                        f"{tracks} | {switches} |")
    return rows


LIMB_JOINTS = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]  # H36M hips, knees, ankles, shoulders, elbows, wrists
H36M_MIRROR = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


def limb_errors(candidates_per_frame: list[np.ndarray], truth: np.ndarray, visible: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the mean limb-joint error (px) of the candidate skeleton nearest the true one (H36M-17), with the
    sides as labelled and with either labelling; frames where no candidate is within 30 % of the person's height
    (someone else) are left out."""
    as_labelled, either = [], []
    for candidates, true, seen in zip(candidates_per_frame, truth, visible):
        seen = seen[LIMB_JOINTS] & np.isfinite(true[LIMB_JOINTS]).all(-1)
        if len(candidates) == 0 or seen.sum() < 4:
            continue
        target = true[LIMB_JOINTS][seen]
        labelled = np.array([np.linalg.norm(c[LIMB_JOINTS][seen] - target, axis=1).mean() for c in candidates])
        mirrored = np.array([np.linalg.norm(c[H36M_MIRROR][LIMB_JOINTS][seen] - target, axis=1).mean()
                             for c in candidates])
        best = int(np.argmin(np.minimum(labelled, mirrored)))
        height = np.nanmax(true[:, 1]) - np.nanmin(true[:, 1])
        if min(labelled[best], mirrored[best]) < 0.3 * height:
            as_labelled.append(labelled[best])
            either.append(min(labelled[best], mirrored[best]))
    return np.array(as_labelled), np.array(either)


def keypoint_accuracy(shared: Path, output: Path) -> list[str]:
    """Needs ``eval_views`` to have written the default stage's npz files under ``output``."""
    from app.video_io import VideoReader
    from detectors.api import DETECTOR_IMAGE_SIZE
    from detectors.yolo import YoloPersonDetector
    from lifters.skeleton import coco_to_h36m
    from weights.registry import resolve

    truth = np.load(shared / "eval-dev" / "pose2sim_multi.npz")
    detector = YoloPersonDetector(resolve("yolo11n-pose.pt"), image_size=DETECTOR_IMAGE_SIZE, device="cpu")
    rows = ["| view | person | BlazePose following (default) | YOLO11n-pose keypoints, every frame |",
            "|---|---|---|---|"]
    for view in range(4):
        video = shared / "eval-dev" / "media" / f"cam0{view + 1}.mp4"
        with np.load(keypoints_file(output, video)) as data:
            followed = [data["keypoints_2d"][data["valid"][:, t], t] for t in range(data["valid"].shape[1])]
        yolo = []
        for frame in VideoReader(video):
            people = detector.detect_people([frame])[0]
            yolo.append(coco_to_h36m(people.keypoints[:, None], people.scores[:, None])[0][:, 0])
        for person, name in enumerate(truth["person_names"]):
            cells = []
            for candidates in (followed, yolo):
                labelled, either = limb_errors(candidates, truth["gt_kp2d"][view, person],
                                               truth["valid_cam"][view, person])
                cells.append(f"{np.median(either):.1f} px (as labelled {np.median(labelled):.1f}), {len(either)} frames")
            rows.append(f"| cam0{view + 1} | {name} | {cells[0]} | {cells[1]} |")
    return rows + ["", "Median over frames of the mean limb-joint error (hips, knees, ankles, shoulders, elbows, "
                   "wrists) with either labelling of the sides; 'as labelled' counts left/right swaps as errors "
                   "(the default stage's labels are after flip correction)."]


# Hip centres of the six walkers of vtest.avi frame 300, marked by hand (as in tests/test_follow.py).
VTEST_300_PEOPLE = np.array([[202, 197], [253, 190], [310, 197], [331, 256], [596, 197], [630, 196]])


def vtest(shared: Path, output: Path) -> list[str]:
    video = shared / "media" / "vtest.avi"
    summary, _, _ = run_demo(REPO, video, output)
    with np.load(keypoints_file(output, video)) as data:
        valid, keypoints = data["valid"], data["keypoints_2d"]
    people = valid.sum(0)
    pelvis = keypoints[valid[:, 300], 300, 0]  # H36M pelvis = hip centre
    nearest = [int(np.argmin(np.linalg.norm(VTEST_300_PEOPLE - xy, axis=1))) for xy in pelvis]
    on_walkers = sum(np.linalg.norm(VTEST_300_PEOPLE[walker] - xy) < 15 for walker, xy in zip(nearest, pelvis))
    return [f"vtest.avi ({valid.shape[1]} frames): {valid.shape[0]} people kept, **{people.mean():.2f} people per "
            f"frame** with a skeleton (median {np.median(people):.0f}, max {people.max()}); frame 300: "
            f"{len(pelvis)} skeletons, {on_walkers} on distinct hand-marked walkers "
            f"({len(set(nearest))} distinct) of 6.", "", f"`{summary}`"]


def sample_clip(output: Path) -> list[str]:
    video = REPO / "videos" / "sports2d_demo.mp4"
    summary, _, _ = run_demo(REPO, video, output)
    with np.load(keypoints_file(output, video)) as data:
        valid, pelvis = data["valid"], data["keypoints_2d"][:, :, 0]
    # The man is whoever stands on the roof (upper half) at frame 100; the woman walks in the foreground.
    man = int(np.argmin(np.where(valid[:, 100], pelvis[:, 100, 1], np.inf)))
    lines = [f"sports2d_demo.mp4 ({valid.shape[1]} frames): {valid.shape[0]} people. The man (#{man}) has a "
             f"skeleton in **{valid[man].sum()} of {valid.shape[1]} frames** ({100 * valid[man].mean():.1f} %), "
             f"missing in {np.flatnonzero(~valid[man]).tolist()}."]
    for person in range(valid.shape[0]):
        if person != man:
            frames = np.flatnonzero(valid[person])
            both = valid[person] & valid[man]
            apart = np.linalg.norm(pelvis[person, both] - pelvis[man, both], axis=1).min() if both.any() else None
            lines.append(f"#{person}: frames {frames[0]}–{frames[-1]} ({len(frames)} frames); nearest approach to "
                         f"the man's pelvis {apart:.0f} px" if apart is not None else f"#{person}: {len(frames)} "
                         "frames, never together with the man")
    return lines + ["", f"`{summary}`"]


def dancer(shared: Path, output: Path) -> list[str]:
    """One dancer, dark clothes on a blue ground, turning: she must stay one person."""
    video = shared / "media" / "dancer.avi"
    summary, _, _ = run_demo(REPO, video, output)
    with np.load(keypoints_file(output, video)) as data:
        valid = data["valid"]
    people = f"{valid.shape[0]} {'person' if valid.shape[0] == 1 else 'people'}"
    return [f"dancer.avi ({valid.shape[1]} frames, one dancer): **{people}** kept; the most seen in "
            f"{valid.sum(1).max()} frames, nobody in {np.count_nonzero(~valid.any(0))}.", "", f"`{summary}`"]


def stage_split(summary: str) -> str:
    return summary.split(" | ")[-1].split(" → ")[0]


def detector_alone(video: Path) -> float:
    """Frames per second of YOLO11n-pose at the default input size on every frame (decoding excluded)."""
    from app.video_io import VideoReader
    from detectors.api import DETECTOR_IMAGE_SIZE
    from detectors.yolo import YoloPersonDetector
    from weights.registry import resolve

    detector = YoloPersonDetector(resolve("yolo11n-pose.pt"), image_size=DETECTOR_IMAGE_SIZE, device="cpu")
    seconds, frames = 0.0, 0
    for frame in VideoReader(video):
        start = time.perf_counter()
        detector.detect_people([frame])
        seconds += time.perf_counter() - start
        frames += 1
    return frames / seconds


def speed(shared: Path, output: Path, baseline: Path | None) -> list[str]:
    clips = [(REPO / "videos" / "sports2d_demo.mp4", ()), (shared / "media" / "vtest.avi", ()),
             (shared / "media" / "vtest.avi", ("--max-people", "6"))]
    rows = ["| clip | run | frames/s end to end (wall, incl. start-up) | CPU (of all cores) | people with a skeleton | "
            "stage split (frames/s of each stage) |", "|---|---|---|---|---|---|"]
    for video, options in clips:
        runs = [("default" + (" " + " ".join(options) if options else ""), REPO, options)]
        if not options:  # the comparisons, once per clip
            runs.append(("single-person BlazePose (--detector blazepose)", REPO, ("--detector", "blazepose")))
            if baseline is not None:
                runs.append(("before (baseline commit, --max-people 5)", baseline,
                             ("--max-people", "5") if "vtest" in video.name else ()))
        for label, repo, run_options in runs:
            folder = output / label.split()[0]
            summary, seconds, cpu = run_demo(repo, video, folder, *run_options)
            frames = int(re.search(r": (\d+) frames", summary)[1])
            with np.load(keypoints_file(folder, video)) as data:
                people = f"{data['valid'].sum(0).mean():.2f} per frame"
            rows.append(f"| {video.name} | {label} | {frames / seconds:.1f} | {100 * cpu:.0f} % | {people} | "
                        f"{stage_split(summary)} |")
        if not options:
            rows.append(f"| {video.name} | YOLO11n-pose alone on every frame | {detector_alone(video):.1f} | | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--output", type=Path, default=None, help="where the runs write (default: a new temporary folder)")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="only the speed section")
    parser.add_argument("--baseline-repo", type=Path)
    args = parser.parse_args()
    args.output = args.output or Path(tempfile.mkdtemp(prefix="multi_person_"))
    sections = [] if args.speed_only else [
        ("Eval set (`score3d_multi.py` coverage)", eval_views(args.shared, args.output / "eval")),
        ("2D keypoints against the eval set's reprojected ground truth",
         keypoint_accuracy(args.shared, args.output / "eval")),
        ("vtest.avi", vtest(args.shared, args.output / "vtest")),
        ("Sample clip", sample_clip(args.output / "sample")),
        ("dancer.avi", dancer(args.shared, args.output / "dancer"))]
    if not args.no_speed:
        sections.append(("Speed", speed(args.shared, args.output / "speed", args.baseline_repo)))
    for title, lines in sections:
        print(f"\n### {title}\n")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
