"""The published lifters against the official code: fixture parity, released manifests, flip TTA and windowing."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import requires_shared
from lifter_fixtures import FIXTURES, fixture_module, one_thread  # noqa: F401 (autouse fixture)
from lifters.official import build
from lifters.runner import CentreFrameLifter, SequenceLifter
from lifters.skeleton import flip_pose


@pytest.mark.parametrize("name, atol, rtol", [
    ("strided_f351_c32.pt", 1e-5, 1e-5),
    ("strided_f351_c32_rand.pt", 1e-5, 1e-5),
    ("strided_f351_c32_rand_f64.pt", 1e-9, 0.0),
])
def test_strided_reproduces_both_heads(name, atol, rtol):
    if not (FIXTURES / name).exists():
        pytest.skip(f"../shared/fixtures/{name} not available")
    fixture, module = fixture_module(name, "strided")
    with torch.no_grad():
        x_ste, x_vte = module(fixture["input"])
    torch.testing.assert_close(x_ste, fixture["output"], atol=atol, rtol=rtol)
    torch.testing.assert_close(x_vte, fixture["output_vte"], atol=atol, rtol=rtol)


@pytest.mark.parametrize("name, kind, atol, rtol", [
    ("mixste_f243_c64_d4.pt", "mixste", 1e-5, 1e-5),
    ("mixste_f243_c64_d4_rand.pt", "mixste", 1e-5, 1e-5),
    ("mixste_f243_c64_d4_rand_f64.pt", "mixste", 1e-9, 0.0),
    ("mixsterev_pool7_f27_c32_d3_rand.pt", "mixste_pool", 1e-5, 1e-5),
])
def test_mixste_reproduces(name, kind, atol, rtol):
    if not (FIXTURES / name).exists():
        pytest.skip(f"../shared/fixtures/{name} not available")
    fixture, module = fixture_module(name, kind)
    with torch.no_grad():
        torch.testing.assert_close(module(fixture["input"]), fixture["output"], atol=atol, rtol=rtol)


@requires_shared("fixtures/strided_refine_rand.pt")
def test_refine_reproduces():
    fixture, module = fixture_module("strided_refine_rand.pt", "strided_refine")
    with torch.no_grad():
        torch.testing.assert_close(module(*fixture["input"]), fixture["output"], atol=1e-5, rtol=1e-5)


@requires_shared("fixtures/strided_f351_c32_rand.pt")
def test_centre_frame_runner_reproduces_the_demo_flip_average():
    """The fixture's 351-frame input as a clip: output frame 175 sees exactly that window."""
    fixture, module = fixture_module("strided_f351_c32_rand.pt", "strided")
    runner = CentreFrameLifter(module, 351, device="cpu", batch_size=5)
    for clip, expected in zip(fixture["input"].numpy(), fixture["output_tta"].numpy()):
        poses = runner(clip)
        assert poses.shape == (351, 17, 3) and poses.dtype == np.float32
        np.testing.assert_allclose(poses[175], expected[0], atol=1e-5, rtol=1e-5)
        assert np.all(poses[:, 0] == 0)


@requires_shared("fixtures/mixste_f243_c64_d4_rand.pt")
def test_sequence_runner_reproduces_the_official_flip_average():
    fixture, module = fixture_module("mixste_f243_c64_d4_rand.pt", "mixste")
    runner = SequenceLifter(module, 243, device="cpu")
    for clip, expected in zip(fixture["input"].numpy(), fixture["output_tta"].numpy()):
        # The official evaluation leaves the root as predicted; the project makes the poses root-relative.
        np.testing.assert_allclose(runner(clip), expected - expected[:, :1], atol=1e-5, rtol=1e-5)


def small_strided() -> torch.nn.Module:
    torch.manual_seed(0)
    return build("strided", dict(layers=1, channel=16, d_hid=32, frames=27, stride_num=[3, 3, 3], n_joints=17,
                                 out_joints=17))


def test_centre_frame_windows_are_edge_padded_at_both_ends():
    """Frame i's window is frames i-13 … i+13 of the clip, with the first / last frame repeated beyond it."""
    module = small_strided()
    clip = np.random.default_rng(0).uniform(-1, 1, (6, 17, 2)).astype(np.float32)
    poses = CentreFrameLifter(module, 27, device="cpu", batch_size=4)(clip)
    for frame in (0, 2, 5):
        window = np.concatenate([np.repeat(clip[:1], 13 - frame, 0), clip,
                                 np.repeat(clip[-1:], 13 - (5 - frame), 0)])
        assert window.shape == (27, 17, 2)
        with torch.no_grad():
            plain = module(torch.from_numpy(window[None]))[0][0, 0].numpy()
            mirrored = module(torch.from_numpy(flip_pose(window)[None]))[0][0, 0].numpy()
        expected = (plain + flip_pose(mirrored)) / 2
        expected[0] = 0
        np.testing.assert_allclose(poses[frame], expected, atol=1e-5)


def test_centre_frame_batching_does_not_change_results():
    module = small_strided()
    clip = np.random.default_rng(1).uniform(-1, 1, (9, 17, 2)).astype(np.float32)
    one_at_a_time = CentreFrameLifter(module, 27, device="cpu", batch_size=1)(clip)
    batched = CentreFrameLifter(module, 27, device="cpu", batch_size=64)(clip)
    np.testing.assert_allclose(batched, one_at_a_time, atol=1e-6)


def test_strided_rejects_a_window_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"expects \(B, 27, 17, 2\) input, got \(1, 26, 17, 2\)"):
        small_strided()(torch.zeros(1, 26, 17, 2))


def manifest_keys(manifest_name: str) -> tuple[dict, dict[str, list[int]]]:
    manifest = json.loads((FIXTURES / manifest_name).read_text())
    return manifest, {entry["key"]: entry["shape"] for entry in manifest["state_dict_keys"]}


def shapes(module: torch.nn.Module) -> dict[str, list[int]]:
    return {key: list(value.shape) for key, value in module.state_dict().items()}


@pytest.mark.parametrize("manifest_name, kind", [
    ("strided_released_manifest.json", "strided"),
    ("mixste_released_manifest.json", "mixste"),
    ("mixsterev_pool7_f243_manifest.json", "mixste_pool"),
])
def test_released_configuration_matches_manifest(manifest_name, kind):
    if not (FIXTURES / manifest_name).exists():
        pytest.skip(f"../shared/fixtures/{manifest_name} not available")
    manifest, expected = manifest_keys(manifest_name)
    module = build(kind, manifest["constructor_args"])
    assert shapes(module) == expected
    assert sum(parameter.numel() for parameter in module.parameters()) == manifest["parameter_count"]


@requires_shared("fixtures/strided_released_manifest.json")
def test_released_refine_matches_manifest():
    refine = json.loads((FIXTURES / "strided_released_manifest.json").read_text())["refine_module"]
    module = build("strided_refine", refine["constructor_args"])
    assert shapes(module) == {entry["key"]: entry["shape"] for entry in refine["state_dict_keys"]}
    assert sum(parameter.numel() for parameter in module.parameters()) == refine["parameter_count"]


def test_build_rejects_unknown_kind_and_arguments():
    with pytest.raises(ValueError, match="unknown lifter kind 'videopose'; choose one of strided, strided_refine"):
        build("videopose", {})
    with pytest.raises(ValueError, match="unknown strided config argument"):
        build("strided", {"frames": 27, "heads": 4})
