"""Every export of every real clip, read back: one markdown table row per clip (results in BENCHMARKS.md).

    .venv/bin/python benchmarks/export_check.py [videos ...] [--output DIR] [--screenshots docs/]

Per clip the CLI runs with its defaults (every export) into ``DIR/<stem>/`` (default ``output/export_check``), then:
- JSON, CSV: the largest difference from the npz values (2D px, score, 3D mm) over every frame, person and joint;
- TRC: the largest difference of its markers from the world-frame 3D (mm);
- BVH: bvhio's forward kinematics against the rigid skeleton a BVH holds (each bone of the world-frame 3D along its
  direction at its median length; largest error, mm), the same FK by Blender's own importer where ``blender`` is
  installed, how far that skeleton's joints are from the 3D itself (median / 95th percentile over the detected
  frames, mm), and the largest change of any rotation channel between frames;
- MP4: frame count against the npz, and whether the input's audio track is in it;
- HTML: file size.
With ``--screenshots DIR`` the sample clip's viewer (and the web page after an upload of it) is opened in headless
Chromium and saved as DIR/viewer_sample_clip.png, DIR/viewer_orbit.png and DIR/web_page.png.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app.audio import audio_codec  # noqa: E402
from app.cli import main as cli_main  # noqa: E402
from app.export import ClipKeypoints  # noqa: E402
from app.exports.world import WORLD_TO_BVH, WORLD_TO_TRC, world_keypoints  # noqa: E402
from lifters.skeleton import H36M_JOINT_NAMES  # noqa: E402
from test_bvh import bvhio_joints, motion_channels, rigid_skeleton  # noqa: E402
from test_video_io import probe  # noqa: E402

SHARED_MEDIA = ROOT.parent / "shared" / "media"
# The sample clip is the same file as ../shared/media/sports2d_demo.mp4, so it is checked once.
DEFAULT_VIDEOS = [ROOT / "videos" / "sports2d_demo.mp4"] + sorted(SHARED_MEDIA.glob("*.avi"))


def _json_errors(clip: ClipKeypoints, path: Path) -> tuple[float, float, float]:
    document = json.loads(path.read_text())
    worst_px = worst_score = worst_m = 0.0
    for frame in document["frames"]:
        for person, entry in enumerate(frame["people"]):
            t = frame["frame"]
            for j, joint in enumerate(entry["joints"].values()):
                worst_m = max(worst_m, float(np.abs(np.array(joint["xyz"]) - clip.keypoints_3d[person, t, j]).max()))
                if entry["valid"]:
                    pixels = np.array([joint["x"], joint["y"]]) - clip.keypoints_2d[person, t, j]
                    worst_px = max(worst_px, float(np.abs(pixels).max()))
                    worst_score = max(worst_score, abs(joint["score"] - float(clip.scores_2d[person, t, j])))
    return worst_px, worst_score, worst_m * 1000


def _csv_errors(clip: ClipKeypoints, path: Path) -> tuple[float, float, float]:
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == clip.num_frames * clip.num_people * 17, "one row per frame × person × joint"
    # Rows go frame by frame, then person, then joint: (T, P, 17) against the npz's (P, T, 17).
    frame_major = (clip.num_frames, clip.num_people, 17)
    valid = np.array([row["valid"] == "1" for row in rows]).reshape(frame_major)[..., 0]
    assert (valid == clip.valid.T).all()
    pixels = np.array([[float(row["x_px"] or 0), float(row["y_px"] or 0)] for row in rows]).reshape(frame_major + (2,))
    scores = np.array([float(row["score"] or 0) for row in rows]).reshape(frame_major)
    metres = np.array([[float(row[key]) for key in ("x_m", "y_m", "z_m")] for row in rows]).reshape(frame_major + (3,))
    return (float(np.abs(pixels - clip.keypoints_2d.swapaxes(0, 1)).max()),
            float(np.abs(scores - clip.scores_2d.swapaxes(0, 1)).max()),
            float(np.abs(metres - clip.keypoints_3d.swapaxes(0, 1)).max()) * 1000)


def _blender_error(bvh: Path, expected: np.ndarray) -> float | None:
    """Largest distance (mm) of Blender's imported joints from ``expected`` (T, 17, 3) world metres."""
    if shutil.which("blender") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "heads.json"
        subprocess.run(["blender", "-b", "--factory-startup", "--python", str(ROOT / "benchmarks" / "blender_bvh.py"),
                        "--", str(bvh), str(out)], check=True, capture_output=True)
        result = json.loads(out.read_text())
    heads = np.array(result["heads"])[:, [result["bones"].index(name) for name in H36M_JOINT_NAMES]]
    return float(np.linalg.norm(heads - expected, axis=-1).max()) * 1000


def check(video: Path, output: Path) -> str:
    with contextlib.redirect_stdout(sys.stderr):  # the run's summary line, not a table row
        assert cli_main(["--video", str(video), "--output", str(output), "--no-progress"]) == 0
    folder = output / video.stem
    clip = ClipKeypoints.load(folder / f"{video.stem}_keypoints.npz")
    world = world_keypoints(clip)
    json_px, json_score, json_mm = _json_errors(clip, folder / f"{video.stem}.json")
    csv_px, csv_score, csv_mm = _csv_errors(clip, folder / f"{video.stem}.csv")
    trc_mm = bvh_mm = jump = 0.0
    blender_mm, off_3d_m = [], []
    for person, track_id in enumerate(clip.track_ids):
        trc = np.loadtxt(folder / f"{video.stem}_person{track_id}.trc", skiprows=5)
        trc_mm = max(trc_mm, float(np.abs(trc[:, 2:].reshape(-1, 17, 3) - world[person] @ WORLD_TO_TRC.T).max()) * 1000)
        bvh = folder / f"{video.stem}_person{track_id}.bvh"
        rigid = rigid_skeleton(world[person], clip.valid[person])
        fk = bvhio_joints(bvh)
        bvh_mm = max(bvh_mm, float(np.linalg.norm(fk - rigid @ WORLD_TO_BVH.T, axis=-1).max()) * 1000)
        off_3d_m.append(np.linalg.norm(rigid - world[person], axis=-1)[clip.valid[person]].ravel())
        jump = max(jump, float(np.abs(np.diff(motion_channels(bvh.read_text())[:, 3:], axis=0)).max()))
        blender_mm.append(_blender_error(bvh, rigid))
    mp4 = folder / f"{video.stem}.mp4"
    frames = probe(mp4)["frames"]
    audio_in, audio_out = audio_codec(video), audio_codec(mp4)
    blender = "not installed" if None in blender_mm else f"{max(blender_mm):.4f}"
    html_kb = (folder / f"{video.stem}.html").stat().st_size / 1000
    off_3d_mm = np.concatenate(off_3d_m) * 1000
    return (f"| {video.name} | {clip.num_frames} × {clip.num_people} | {json_px:.4f} / {json_score:.5f} / {json_mm:.4f} "
            f"| {csv_px:.4f} / {csv_score:.5f} / {csv_mm:.4f} | {trc_mm:.4f} | {bvh_mm:.4f} | {blender} "
            f"| {np.median(off_3d_mm):.0f} / {np.percentile(off_3d_mm, 95):.0f} | {jump:.1f} "
            f"| {frames} | {audio_in or 'none'} → {audio_out or 'none'} | {html_kb:.0f} kB |")


def screenshots(output: Path, docs: Path) -> None:
    from browser import chromium_page, skeleton_pixels
    from app.web import JobRunner, pipeline_runner, serve

    folder = output / "sports2d_demo"
    docs.mkdir(parents=True, exist_ok=True)
    with chromium_page(1400, 760) as (page, problems):
        page.goto((folder / "sports2d_demo.html").resolve().as_uri())
        page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=60000)
        page.fill("#slider", "100")
        page.wait_for_timeout(500)
        page.screenshot(path=str(docs / "viewer_sample_clip.png"))
        box = page.locator("#view canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 260, box["y"] + box["height"] / 2 - 90, steps=10)
        page.mouse.up()
        page.mouse.wheel(0, -300)
        page.fill("#slider", "150")
        page.wait_for_timeout(500)
        page.screenshot(path=str(docs / "viewer_orbit.png"))
        pixels = skeleton_pixels(page.locator("#view").screenshot())
        page.click("#play")
        page.wait_for_timeout(1000)
        page.click("#play")
        played_to = page.get_attribute("#frame-label", "data-frame")
        print(f"viewer: skeleton pixels {pixels}, played from frame 150 to {played_to} in 1 s, "
              f"console problems {problems}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as jobs, chromium_page(1300, 1050) as (page, problems):
        runner = JobRunner(Path(jobs), pipeline_runner())
        server = serve(runner, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.set_input_files("#file", str(DEFAULT_VIDEOS[0]))
            page.wait_for_function("document.getElementById('status').textContent.includes('done in')",
                                   timeout=600000)
            page.frame_locator("#viewer").locator("#frame-label").wait_for(timeout=60000)
            page.wait_for_function("document.getElementById('viewer').contentDocument.getElementById('video')?"
                                   ".readyState >= 2", timeout=60000)
            page.frame_locator("#viewer").locator("#slider").fill("100")
            page.wait_for_timeout(800)
            page.screenshot(path=str(docs / "web_page.png"), full_page=True)
            print(f"web page: console problems {problems}", file=sys.stderr)
        finally:
            server.shutdown()
            server.server_close()
            runner.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("videos", nargs="*", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--output", type=Path, default=ROOT / "output" / "export_check")
    parser.add_argument("--screenshots", type=Path, help="save the viewer and web page screenshots here")
    args = parser.parse_args()
    print("| clip | frames × people | JSON: 2D px / score / 3D mm | CSV: 2D px / score / 3D mm | TRC mm "
          "| BVH FK (bvhio) mm | BVH FK (Blender) mm | BVH skeleton to 3D mm | largest channel step ° | MP4 frames "
          "| audio in → out | HTML |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for video in args.videos:
        print(check(video, args.output), flush=True)
    if args.screenshots:
        screenshots(args.output, args.screenshots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
