"""People in the metric world against the eval set's ground truth: root positions, the two people's relative
position, the up direction, the camera height and foot sliding, per view and person.

    .venv/bin/python benchmarks/trajectory.py [--source baseline|pipeline] [--gt ../shared/eval-dev/pose2sim_multi.npz]

Sources of the 2D and the root-relative 3D (the same for every row of a view):
- ``baseline`` (default): the eval set's stored BlazePose run per view and person (its 33 landmarks mapped to
  COCO-17 as ``detectors.blazepose`` does), then the pipeline's flip correction and blazepose3d lifter;
- ``pipeline``: the demo's own 2D stage on each view's video (the CLI's defaults: everyone on screen, the
  bystanders of cam01 and cam02 included) and the lifter ``auto`` picks for it.
Each view is then placed in the world twice by ``lifters.world.build_scene``: with the focal-length prior (no
calibration, as the CLI runs) and with the true focal length (the calibration's fx), and for foot sliding once more
without the contact step. Tracks are matched to the GT people by their median 2D distance to ``gt_kp2d``.

Per view and person (GT-valid pelvis frames): root error = median |root − GT pelvis| (camera frame), in mm and in %
of the GT pelvis's distance from the camera; "scale-aligned": the same after the one scale per view (all people
together) that best fits the GT, which removes the focal length / body size ambiguity. Per view: the error of the
man-to-woman vector (mm) and of their distance (%, median over frames), the angle between the estimated and the
true up direction, the camera height above the floor (GT: the camera centre's height in the Qualisys frame, whose
z = 0 is the floor) and foot sliding (horizontal ankle movement in cm per frame over frames in contact in that frame
and the one before, same contacts with and without the contact step).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.pipeline import RunOptions, StageTimer, detect_people, lift_people, trails  # noqa: E402
from app.render import SideBySideRenderer, framing  # noqa: E402
from app.video_io import VideoReader  # noqa: E402
from detectors.base import PoseTracks  # noqa: E402
from detectors.blazepose import BLAZEPOSE_TO_COCO  # noqa: E402
from detectors.flip_correction import correct_left_right_flips  # noqa: E402
from lifters.api import auto_lifter_spec, load_lifter  # noqa: E402
from detectors.api import choose_models  # noqa: E402
from lifters.world.camera import Intrinsics, clip_intrinsics  # noqa: E402
from lifters.skeleton import fill_gaps  # noqa: E402
from lifters.world.contact import ANKLES, detect_contacts, foot_sliding, foot_speeds  # noqa: E402
from lifters.skeleton import quaternion_rotate  # noqa: E402
from lifters.world.root_fit import FIT_JOINTS, fit_roots, smooth_roots  # noqa: E402
from lifters.world.scene import build_scene  # noqa: E402
from lifters.world.upright import estimate_up  # noqa: E402

DEFAULT_GT = ROOT.parent / "shared" / "eval-dev" / "pose2sim_multi.npz"


def baseline_inputs(gt, view: int, lifter):
    """The stored BlazePose run of one view → (keypoints_2d, scores_2d, valid, keypoints_3d, image_size)."""
    joints = list(BLAZEPOSE_TO_COCO)
    valid = gt["blazepose_detected"][view].copy()
    keypoints = gt["blazepose33_2d"][view][:, :, joints].astype(np.float32)
    scores = gt["blazepose33_vis"][view][:, :, joints].astype(np.float32)
    world = gt["blazepose33_world"][view][:, :, joints].astype(np.float32)
    for array in (keypoints, scores, world):
        array[~valid] = 0
    tracks = PoseTracks(keypoints, scores, np.zeros(valid.shape + (4,), np.float32), valid,
                        np.arange(len(valid)), world)
    tracks, _ = correct_left_right_flips(tracks)
    image_size = tuple(int(v) for v in gt["image_size"][view])
    keypoints_2d, scores_2d, _, keypoints_3d = lift_people(lifter, tracks, image_size, float(gt["fps"]))
    return keypoints_2d, scores_2d, tracks.valid, keypoints_3d, image_size


def pipeline_inputs(video: Path, lifter, options: RunOptions):
    """The demo's own 2D stage and lifter on one video → as ``baseline_inputs``."""
    reader = VideoReader(video)
    tracks, image_size = detect_people(reader, options, StageTimer())
    tracks, _ = correct_left_right_flips(tracks)
    keypoints_2d, scores_2d, _, keypoints_3d = lift_people(lifter, tracks, image_size, reader.fps)
    return keypoints_2d, scores_2d, tracks.valid, keypoints_3d, image_size


def match_tracks(keypoints_2d: np.ndarray, valid: np.ndarray, gt_2d: np.ndarray) -> list[int | None]:
    """For each GT person (G, T, 17, 2) the track (of P) with the smallest median 2D distance (each track once)."""
    cost = np.full((len(gt_2d), len(keypoints_2d)), np.inf)
    for person in range(len(gt_2d)):
        for track in range(len(keypoints_2d)):
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # frames without GT are all NaN
                distance = np.nanmean(np.linalg.norm(keypoints_2d[track] - gt_2d[person], axis=-1), axis=-1)
            distance[~valid[track]] = np.nan
            if np.isfinite(distance).any():
                cost[person, track] = np.nanmedian(distance)
    chosen: list[int | None] = [None] * len(gt_2d)
    for _ in range(min(cost.shape)):
        person, track = np.unravel_index(np.argmin(cost), cost.shape)
        if not np.isfinite(cost[person, track]):
            break
        chosen[person] = int(track)
        cost[person, :] = np.inf
        cost[:, track] = np.inf
    return chosen


def angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def evaluate_view(gt, view: int, inputs, focal: str) -> dict:
    keypoints_2d, scores_2d, valid, keypoints_3d, image_size = inputs
    fps = float(gt["fps"])
    if focal == "true":
        camera = Intrinsics(float(gt["K"][view, 0, 0]), (image_size[0] / 2, image_size[1] / 2), "given")
    else:
        camera = clip_intrinsics(image_size)
    scene = build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, camera, fps)
    unpinned = build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, camera, fps, pin_feet=False)
    gt_root = gt["gt_cam"][view][:, :, 0].astype(np.float64)  # (G, T, 3)
    gt_valid = gt["valid_cam"][view][:, :, 0]
    tracks = match_tracks(keypoints_2d, valid, gt["gt_kp2d"][view])
    roots = [None if track is None else scene.root_camera[track].astype(np.float64) for track in tracks]
    frames = [None if track is None else gt_valid[person] & valid[track] for person, track in enumerate(tracks)]
    # One scale per view for all people: least squares of scale · root against the GT.
    estimated = np.concatenate([roots[p][frames[p]] for p in range(len(tracks)) if roots[p] is not None])
    truth = np.concatenate([gt_root[p][frames[p]] for p in range(len(tracks)) if roots[p] is not None])
    scale = float(np.sum(estimated * truth) / np.sum(estimated * estimated))
    people = []
    for person, track in enumerate(tracks):
        if track is None:
            people.append(None)
            continue
        used = frames[person]
        error = np.linalg.norm(roots[person][used] - gt_root[person][used], axis=-1)
        aligned = np.linalg.norm(scale * roots[person][used] - gt_root[person][used], axis=-1)
        distance = np.linalg.norm(gt_root[person][used], axis=-1)
        feet = scene.keypoints_world[track][:, list(ANKLES)]
        feet_before = unpinned.keypoints_world[track][:, list(ANKLES)]
        people.append(dict(track=track, frames=int(used.sum()), error_mm=1000 * float(np.median(error)),
                           error_pct=100 * float(np.median(error / distance)),
                           aligned_pct=100 * float(np.median(aligned / distance)),
                           sliding_before=foot_sliding(feet_before, scene.contacts[track]),
                           sliding_after=foot_sliding(feet, scene.contacts[track]),
                           contact_pct=100 * float(scene.contacts[track][valid[track]].mean()),
                           size=float(scene.person_scale[track])))
    relative = {}
    if all(root is not None for root in roots[:2]):
        both = frames[0] & frames[1]
        estimated_vector = roots[0][both] - roots[1][both]
        true_vector = gt_root[0][both] - gt_root[1][both]
        true_distance = np.linalg.norm(true_vector, axis=-1)
        relative = dict(vector_mm=1000 * float(np.median(np.linalg.norm(estimated_vector - true_vector, axis=-1))),
                        distance_pct=100 * float(np.median(np.abs(np.linalg.norm(estimated_vector, axis=-1)
                                                                  - true_distance) / true_distance)),
                        true_distance=float(np.median(true_distance)))
    camera_centre = -gt["R"][view].T @ gt["t"][view]
    return dict(focal_px=camera.focal_px, true_focal=float(gt["K"][view, 0, 0]), people=people, relative=relative,
                up_error=angle_degrees(scene.up, gt["R"][view][:, 2]), camera_height=scene.camera_height,
                true_height=float(camera_centre[2]), scale=scale)


# The seeds' fixed camera rotation (w, x, y, z), Human3.6M S1's camera 54138969, which the demo used before
# the world stage: its up direction in the camera frame is the same for every clip.
SEED_CAMERA_ROTATION = np.array([0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088])


def steps_view(gt, view: int, inputs) -> dict:
    """What each step adds, prior focal length: root error (median over people of the per-person median, % of
    distance) of the perspective fit alone and of the whole stage; up error of the seeds' rotation, of the standing
    direction alone and of the whole stage; and the whole stage's root error at other focal lengths."""
    keypoints_2d, scores_2d, valid, keypoints_3d, image_size = inputs
    fps = float(gt["fps"])
    camera = clip_intrinsics(image_size)
    fitted = np.zeros(valid.shape + (3,))
    for person in range(len(valid)):
        raw = np.zeros((valid.shape[1], 3))
        raw[valid[person]] = fit_roots(keypoints_3d[person, valid[person]], keypoints_2d[person, valid[person]],
                                       scores_2d[person, valid[person]], camera)
        fitted[person] = smooth_roots(raw, valid[person], fps)
    tracks = match_tracks(keypoints_2d, valid, gt["gt_kp2d"][view])
    gt_root = gt["gt_cam"][view][:, :, 0].astype(np.float64)

    def root_error(roots):
        errors = []
        for person, track in enumerate(tracks):
            if track is not None:
                used = gt["valid_cam"][view][person, :, 0] & valid[track]
                errors.append(np.median(np.linalg.norm(roots[track][used] - gt_root[person][used], axis=-1)
                                        / np.linalg.norm(gt_root[person][used], axis=-1)))
        return 100 * float(np.median(errors))

    true_up = gt["R"][view][:, 2]
    seed_up = quaternion_rotate(SEED_CAMERA_ROTATION * [1, -1, -1, -1], np.array([0.0, 0.0, 1.0]))
    scene = build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, camera, fps)
    focal_scan = {}
    for ratio in FOCAL_SCAN:
        other = Intrinsics(ratio * float(gt["K"][view, 0, 0]), camera.centre, "given")
        focal_scan[ratio] = root_error(build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, other,
                                                   fps).root_camera)
    # The focal length that a perspective fit of the lifted pose to the 2D would pick (least reprojection error).
    best_focal = []
    for person in range(len(valid)):
        frames = valid[person]
        residuals = []
        for ratio in RESIDUAL_SCAN:
            other = Intrinsics(ratio * float(gt["K"][view, 0, 0]), camera.centre, "given")
            roots = fit_roots(keypoints_3d[person, frames], keypoints_2d[person, frames], scores_2d[person, frames],
                              other)
            projected = other.project(keypoints_3d[person, frames][:, list(FIT_JOINTS)] + roots[:, None])
            residuals.append(np.mean(np.linalg.norm(projected - keypoints_2d[person, frames][:, list(FIT_JOINTS)],
                                                    axis=-1)))
        best_focal.append(RESIDUAL_SCAN[int(np.argmin(residuals))])
    return dict(fit_only=root_error(fitted), whole=root_error(scene.root_camera), best_focal=best_focal,
                seed_up=angle_degrees(seed_up, true_up), standing_up=angle_degrees(estimate_up(keypoints_3d, valid),
                                                                                 true_up),
                whole_up=angle_degrees(scene.up, true_up), focal_scan=focal_scan)


FOCAL_SCAN = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2)
CONTACT_SPEEDS = (0.3, 0.5, 0.8)  # m/s, the contact test's threshold: the default and its neighbours
GT_CONTACT_HEIGHT = 0.03  # m: a GT ankle within this of the person's lowest ankle height stands


def contact_counts(gt, view: int, inputs) -> dict[float, np.ndarray]:
    """Per contact-speed threshold, (true positives, false positives, false negatives) of the detected contacts
    against GT contacts (ankle height only: within ``GT_CONTACT_HEIGHT`` of the person's 5th-percentile ankle
    height in the GT world), prior focal length."""
    keypoints_2d, scores_2d, valid, keypoints_3d, image_size = inputs
    camera = clip_intrinsics(image_size)
    fps = float(gt["fps"])
    scene = build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, camera, fps)
    tracks = match_tracks(keypoints_2d, valid, gt["gt_kp2d"][view])
    rotation, translation = gt["R"][view], gt["t"][view]
    counts = {speed: np.zeros(3, int) for speed in CONTACT_SPEEDS}
    for person, track in enumerate(tracks):
        if track is None:
            continue
        ankles = gt["gt_cam"][view][person][:, list(ANKLES)].astype(np.float64)
        height = ((ankles - translation) @ rotation)[..., 2]  # the GT world's z, metres above its floor
        known = gt["valid_cam"][view][person][:, list(ANKLES)] & valid[track][:, None]
        truth = height < np.nanpercentile(height[known], 5) + GT_CONTACT_HEIGHT
        ankles_2d = fill_gaps(keypoints_2d[track][:, list(ANKLES)].astype(np.float64), valid[track])
        speeds = foot_speeds(ankles_2d, scene.root_camera[track, :, 2], camera, fps)
        for speed in CONTACT_SPEEDS:
            found = detect_contacts(keypoints_3d[track], speeds, valid[track], scene.up, speed)
            counts[speed] += [(found & truth)[known].sum(), (found & ~truth)[known].sum(),
                              (~found & truth)[known].sum()]
    return counts
RESIDUAL_SCAN = np.round(np.arange(0.5, 1.61, 0.05), 2)


def draw_sheet(path: Path, gt, inputs: list, names: list[str], frame: int, media: Path) -> None:
    """One row per view: the demo's side-by-side composite of ``frame`` (prior focal length), as a PNG."""
    rows = []
    for view, name in enumerate(names):
        keypoints_2d, scores_2d, valid, keypoints_3d, image_size = inputs[view]
        scene = build_scene(keypoints_3d, keypoints_2d, scores_2d, valid, clip_intrinsics(image_size),
                            float(gt["fps"]))
        renderer = SideBySideRenderer(*image_size, bounds=framing(scene.keypoints_world, valid),
                                      camera_position=scene.camera_position, camera_forward=scene.rotation[:, 2],
                                      raised_support=scene.raised_support)
        image = next(image for index, image in enumerate(VideoReader(media / f"{name}.mp4"))
                     if index == frame)
        composite = renderer(image, keypoints_2d[:, frame], scores_2d[:, frame], valid[:, frame],
                             scene.keypoints_world[:, frame], np.arange(len(valid)),
                             trails(scene, valid, frame, round(float(gt["fps"]))))
        rows.append(composite[..., ::-1])
    width = max(row.shape[1] for row in rows)
    cv2.imwrite(str(path), np.vstack([np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0))) for row in rows]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", choices=("baseline", "pipeline"), default="baseline")
    parser.add_argument("--gt", type=Path, default=DEFAULT_GT)
    parser.add_argument("--sheet", type=Path, help="also draw frame --frame of every view as the demo does (PNG)")
    parser.add_argument("--frame", type=int, default=50)
    args = parser.parse_args()
    gt = np.load(args.gt)
    names = [str(name) for name in gt["cam_names"]]
    people = [str(name) for name in gt["person_names"]]
    if args.source == "baseline":
        lifter = load_lifter("blazepose3d", "cpu")
        inputs = [baseline_inputs(gt, view, lifter) for view in range(len(names))]
    else:
        options = RunOptions(output_dir=ROOT / "output", progress=False)
        lifter = load_lifter(auto_lifter_spec(*choose_models("auto", "auto", options.max_people)), None)
        media = args.gt.parent / "media"
        inputs = [pipeline_inputs(media / f"{name}.mp4", lifter, options) for name in names]
    print(f"source: {args.source}, lifter: {lifter.description}\n")
    print("| view | focal (px) | person | frames | root error mm | % of distance | % scale-aligned | size factor "
          "| sliding cm/frame, without → with contact step | contact frames % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summaries = []
    for view, name in enumerate(names):
        for focal in ("prior", "true"):
            result = evaluate_view(gt, view, inputs[view], focal)
            summaries.append((name, focal, result))
            for person, row in zip(people, result["people"]):
                if row is None:
                    print(f"| {name} | {result['focal_px']:.0f} {focal} | {person} | 0 | – | – | – | – | – | – |")
                    continue
                print(f"| {name} | {result['focal_px']:.0f} {focal} | {person} | {row['frames']} "
                      f"| {row['error_mm']:.0f} | {row['error_pct']:.1f} | {row['aligned_pct']:.1f} "
                      f"| {row['size']:.2f} | {row['sliding_before']:.2f} → {row['sliding_after']:.2f} "
                      f"| {row['contact_pct']:.0f} |")
    print("\n| view | focal | man–woman vector error mm | distance error % (true distance m) | up error ° "
          "| camera height m (true) | view scale to GT |")
    print("|---|---|---|---|---|---|---|")
    for name, focal, result in summaries:
        relative = result["relative"]
        pair = (f"{relative['vector_mm']:.0f} | {relative['distance_pct']:.1f} ({relative['true_distance']:.2f})"
                if relative else "– | –")
        print(f"| {name} | {focal} | {pair} | {result['up_error']:.1f} "
              f"| {result['camera_height']:.2f} ({result['true_height']:.2f}) | {result['scale']:.3f} |")
    slides = [(row["sliding_before"], row["sliding_after"]) for _, _, result in summaries
              for row in result["people"] if row is not None]
    print(f"\nfoot sliding, mean over views, people and focal cases: {np.mean([b for b, _ in slides]):.2f} → "
          f"{np.mean([a for _, a in slides]):.2f} cm/frame")
    print("\nWhat each step does (prior focal length; root error: median over the two people, % of distance):\n")
    print("| view | root: perspective fit only | root: whole stage | up: seeds' fixed rotation ° "
          "| up: standing direction only ° | up: whole stage ° | root error at "
          + ", ".join(f"{ratio:g}" for ratio in FOCAL_SCAN) + " × the true focal length "
          "| least-residual focal length per track, × true |")
    print("|---|---|---|---|---|---|---|---|")
    for view, name in enumerate(names):
        steps = steps_view(gt, view, inputs[view])
        print(f"| {name} | {steps['fit_only']:.1f} | {steps['whole']:.1f} | {steps['seed_up']:.1f} "
              f"| {steps['standing_up']:.1f} | {steps['whole_up']:.1f} | "
              + ", ".join(f"{value:.1f}" for value in steps["focal_scan"].values()) + " | "
              + ", ".join(f"{value:g}" for value in steps["best_focal"]) + " |")
    totals = {speed: sum(contact_counts(gt, view, inputs[view])[speed] for view in range(len(names)))
              for speed in CONTACT_SPEEDS}
    print("\nContacts against the GT's (ankle within 3 cm of the person's lowest), all views and people, prior focal:"
          "\n\n| contact speed below | precision | recall |\n|---|---|---|")
    for speed, (hits, false, missed) in totals.items():
        print(f"| {speed:g} m/s | {hits / max(hits + false, 1):.2f} | {hits / max(hits + missed, 1):.2f} |")
    if args.sheet:
        draw_sheet(args.sheet, gt, inputs, names, args.frame, args.gt.parent / "media")


if __name__ == "__main__":
    main()
