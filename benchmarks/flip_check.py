"""Left/right flip correction on real clips: what it relabels, with and without its twist cue, checked on the dancer.

    .venv/bin/python benchmarks/flip_check.py [videos ...] [--sheet out.png --frames 206,214,...]
    (default videos: videos/sports2d_demo.mp4 and ../shared/media/*.avi)

Per clip the 2D stage runs once (the CLI's defaults). Printed, as markdown: per clip and person, the frames that
flip correction relabels by motion alone (``twist_weight=0``) and with the twist cue (the default), and the
stretches the twist cue changes; then, for dancer.avi, the glove check (on its person #0, the dancer). The dancer
wears a red glove on her LEFT hand. A colour threshold finds it (the largest saturated red blob of at least 20 px);
a frame is judged where one wrist keypoint is under half as far from the glove as the other, and counts as an arm
swap when that wrist is labelled right. ``--sheet`` draws the first video's person #0 in ``--frames`` as the demo
does (Human3.6M-17; left limbs blue, right red), as detected (top) and corrected (bottom).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.pipeline import RunOptions, StageTimer, detect_people  # noqa: E402
from app.render import draw_skeleton_2d  # noqa: E402
from app.video_io import VideoReader  # noqa: E402
from detectors.flip_correction import correct_left_right_flips  # noqa: E402
from lifters.skeleton import coco_to_h36m  # noqa: E402

DEFAULT_VIDEOS = [ROOT / "videos" / "sports2d_demo.mp4"] + sorted((ROOT.parent / "shared" / "media").glob("*.avi"))
LEFT_WRIST, RIGHT_WRIST = 9, 10
MIN_GLOVE_PX = 20


def stretches(frames: np.ndarray) -> str:
    """Sorted frame indices → '208–221, 241–255'."""
    if len(frames) == 0:
        return "none"
    breaks = np.flatnonzero(np.diff(frames) > 1)
    starts, ends = frames[np.r_[0, breaks + 1]], frames[np.r_[breaks, len(frames) - 1]]
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in zip(starts, ends))


def relabelled_frames(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(T, 17, 2) keypoints before and after correction → frame indices where any label moved."""
    return np.flatnonzero(np.abs(before - after).reshape(len(before), -1).max(1) > 0)


def glove_centres(video: Path) -> np.ndarray:
    """(T, 2) pixels: centre of the largest saturated red blob per frame, NaN where none is big enough."""
    centres = []
    for frame in VideoReader(video):
        hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
        red = ((hsv[..., 0] < 10) | (hsv[..., 0] > 170)) & (hsv[..., 1] > 170) & (hsv[..., 2] > 80)
        count, _, stats, blob_centres = cv2.connectedComponentsWithStats(red.astype(np.uint8))
        largest = 1 + stats[1:, cv2.CC_STAT_AREA].argmax() if count > 1 else 0
        found = largest and stats[largest, cv2.CC_STAT_AREA] >= MIN_GLOVE_PX
        centres.append(blob_centres[largest] if found else (np.nan, np.nan))
    return np.array(centres, np.float64)


def glove_arm_swaps(keypoints: np.ndarray, valid: np.ndarray, glove: np.ndarray) -> tuple[int, np.ndarray]:
    """(judged frame count, frames whose right-wrist label is on the left-hand glove)."""
    to_left = np.linalg.norm(keypoints[:, LEFT_WRIST] - glove, axis=-1)
    to_right = np.linalg.norm(keypoints[:, RIGHT_WRIST] - glove, axis=-1)
    with np.errstate(invalid="ignore"):
        judged = valid & (np.minimum(to_left, to_right) < 0.5 * np.maximum(to_left, to_right))
    return int(judged.sum()), np.flatnonzero(judged & (to_right < to_left))


def draw_sheet(path: Path, video: Path, frames: list[int], raw: np.ndarray, corrected: np.ndarray) -> None:
    wanted = {index: None for index in frames}
    for index, frame in enumerate(VideoReader(video)):
        if index in wanted:
            wanted[index] = frame
    rows = []
    for keypoints_coco in (raw, corrected):
        keypoints, _ = coco_to_h36m(keypoints_coco, np.ones(keypoints_coco.shape[:2], np.float32))
        tiles = []
        for index in frames:
            image = wanted[index].copy()
            draw_skeleton_2d(image, keypoints[index], np.ones(len(keypoints[index])), track_id=0)
            centre_x = int(np.median(keypoints[index, :, 0]))
            left = min(max(centre_x - 90, 0), image.shape[1] - 180)
            tile = image[:, left:left + 180].copy()
            cv2.putText(tile, str(index), (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 255, 255), 2)
            tiles.append(tile)
        rows.append(np.hstack(tiles))
    cv2.imwrite(str(path), np.vstack(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("videos", nargs="*", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--sheet", type=Path, help="contact sheet of the first video's --frames (PNG)")
    parser.add_argument("--frames", default="", help="comma-separated frame indices for --sheet")
    args = parser.parse_args()
    options = RunOptions(output_dir=ROOT / "output", progress=False)
    print("| clip, person (frames with them) | relabelled, motion alone | relabelled, motion and twist (default) "
          "| stretches the twist cue changes |")
    print("|---|---|---|---|")
    glove_rows = []
    for number, video in enumerate(args.videos):
        raw, _ = detect_people(VideoReader(video), options, StageTimer())
        motion_only, _ = correct_left_right_flips(raw, twist_weight=0.0)
        default, _ = correct_left_right_flips(raw)
        for person in range(raw.num_people):
            by_motion = relabelled_frames(raw.keypoints[person], motion_only.keypoints[person])
            by_default = relabelled_frames(raw.keypoints[person], default.keypoints[person])
            changed = relabelled_frames(motion_only.keypoints[person], default.keypoints[person])
            print(f"| {video.name} #{person} ({int(raw.valid[person].sum())}) | {len(by_motion)}: "
                  f"{stretches(by_motion)} | {len(by_default)}: {stretches(by_default)} | {stretches(changed)} |")
        if video.name == "dancer.avi":
            glove = glove_centres(video)
            for name, tracks in (("as detected", raw), ("corrected, motion alone", motion_only),
                                 ("corrected, motion and twist", default)):
                judged, swaps = glove_arm_swaps(tracks.keypoints[0], tracks.valid[0], glove)
                glove_rows.append(f"| {name} | {judged} | {len(swaps)}: {stretches(swaps)} |")
        if number == 0 and args.sheet:
            draw_sheet(args.sheet, video, [int(f) for f in args.frames.split(",")], raw.keypoints[0],
                       default.keypoints[0])
    if glove_rows:
        print("\n| dancer.avi, 2D labels | frames judged by the glove | arm swaps (right wrist on the left glove) |")
        print("|---|---|---|")
        print("\n".join(glove_rows))


if __name__ == "__main__":
    main()
