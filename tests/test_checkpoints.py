"""Checkpoints in every official format, written here from the fixtures' state_dicts, through load_lifter and the CLI."""
from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch

from conftest import SAMPLE_CLIP, cut_clip, requires_shared
from lifter_fixtures import FIXTURES, fixture_module, load_fixture, one_thread  # noqa: F401 (autouse fixture)
from lifters.api import Track2D, load_lifter
from lifters.checkpoints import CheckpointError, read_checkpoint
from lifters.official import build
from lifters.runner import CentreFrameLifter, SequenceLifter
from lifters.skeleton import fill_gaps, normalize_screen_coordinates
from weights.registry import ModelFileError

STRIDED = "strided_f351_c32_rand.pt"
MIXSTE = "mixste_f243_c64_d4_rand.pt"
POOL = "mixsterev_pool7_f27_c32_d3_rand.pt"
REFINE = "strided_refine_rand.pt"


def mixste_run_py_checkpoint(state_dict: dict, prefix: str) -> dict:
    """What MixSTE's run.py saves: model_pos of a DataParallel model, its Adam state and a numpy RandomState."""
    module = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(module.parameters(), lr=4e-5)
    module(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    return {"epoch": 120, "lr": 4e-5, "random_state": np.random.RandomState(1234),
            "optimizer": optimizer.state_dict(), "model_pos": {prefix + key: value for key, value in state_dict.items()}}


def mmpose_checkpoint(state_dict: dict) -> dict:
    """mmpose's published layout, with numpy data in 'meta' as its dataset_meta holds."""
    return {"state_dict": state_dict,
            "meta": {"mmpose_version": "1.0.0", "epoch": 210,
                     "dataset_meta": {"sigmas": np.full(17, 0.05, np.float32), "num_keypoints": np.int64(17)}}}


FORMATS = {
    "flat": lambda state_dict, config, kind: dict(state_dict),
    "model_pos_dataparallel": lambda state_dict, config, kind: mixste_run_py_checkpoint(state_dict, "module."),
    "model_pos_plain": lambda state_dict, config, kind: mixste_run_py_checkpoint(state_dict, ""),
    "mmpose": lambda state_dict, config, kind: mmpose_checkpoint(state_dict),
    "project": lambda state_dict, config, kind: {"kind": kind, "config": config, "state_dict": state_dict,
                                                 "meta": {"note": "written by the tests"}},
}


def write_checkpoint(tmp_path, fixture_name: str, kind: str, layout: str):
    fixture = load_fixture(fixture_name)
    path = tmp_path / f"{layout}_{fixture_name}"
    torch.save(FORMATS[layout](fixture["state_dict"], fixture["config"], kind), path)
    return fixture, path


@pytest.mark.parametrize("layout", FORMATS)
@pytest.mark.parametrize("fixture_name, kind", [(STRIDED, "strided"), (MIXSTE, "mixste"), (POOL, "mixste_pool")])
def test_every_format_reads_back_the_official_model(tmp_path, layout, fixture_name, kind):
    if not (FIXTURES / fixture_name).exists():
        pytest.skip(f"../shared/fixtures/{fixture_name} not available")
    fixture, path = write_checkpoint(tmp_path, fixture_name, kind, layout)
    checkpoint = read_checkpoint(path)
    assert checkpoint.kind == kind
    # Inferred configs hold the arguments the weights determine; every one equals the official value.
    assert {key: fixture["config"].get(key, value) for key, value in checkpoint.config.items()} == checkpoint.config
    assert sorted(checkpoint.state_dict) == sorted(fixture["state_dict"])
    module = checkpoint.build()
    with torch.no_grad():
        output = module(fixture["input"])
    torch.testing.assert_close(output[0] if kind == "strided" else output, fixture["output"], atol=1e-5, rtol=1e-5)


# Small configurations with every argument the weights determine, as the inference reports them.
SMALL_CONFIGS = {
    "strided": dict(layers=2, channel=16, d_hid=24, frames=27, stride_num=[3, 3, 3], n_joints=17, out_joints=17),
    "strided_refine": dict(in_channels=2, out_channels=3, n_joints=17),
    "mixste": dict(num_frame=9, num_joints=17, in_chans=2, embed_dim_ratio=16, depth=2, num_heads=8, mlp_ratio=2.0,
                   qkv_bias=False),
    "mixste_pool": dict(num_frame=9, num_joints=17, in_chans=2, embed_dim_ratio=16, depth=3, num_heads=8,
                        mlp_ratio=1.5, qkv_bias=True),
}


@pytest.mark.parametrize("layout", FORMATS)
@pytest.mark.parametrize("kind", SMALL_CONFIGS)
def test_kind_config_and_weights_survive_every_format(tmp_path, layout, kind):
    torch.manual_seed(0)
    state_dict = build(kind, SMALL_CONFIGS[kind]).state_dict()
    path = tmp_path / "checkpoint.pth"
    torch.save(FORMATS[layout](state_dict, SMALL_CONFIGS[kind], kind), path)
    checkpoint = read_checkpoint(path)
    assert (checkpoint.kind, checkpoint.config) == (kind, SMALL_CONFIGS[kind])
    assert list(checkpoint.state_dict) == list(state_dict)
    assert all(torch.equal(checkpoint.state_dict[key], value) for key, value in state_dict.items())


@requires_shared(f"fixtures/{STRIDED}")
def test_strided_config_is_inferred_exactly(tmp_path):
    fixture, path = write_checkpoint(tmp_path, STRIDED, "strided", "flat")
    assert read_checkpoint(path).config == fixture["config"]


@requires_shared(f"fixtures/{REFINE}")
def test_refine_file_is_recognised_and_refused_as_a_lifter(tmp_path):
    fixture, path = write_checkpoint(tmp_path, REFINE, "strided_refine", "flat")
    checkpoint = read_checkpoint(path)
    assert (checkpoint.kind, checkpoint.config) == ("strided_refine", fixture["config"])
    with torch.no_grad():
        torch.testing.assert_close(checkpoint.build()(*fixture["input"]), fixture["output"])
    with pytest.raises(ValueError, match="refine module, which needs camera intrinsics"):
        load_lifter(str(path), device="cpu")


def direct_runner(fixture_name: str, kind: str):
    """The lifter built straight from the fixture's state_dict, without any checkpoint file."""
    fixture, module = fixture_module(fixture_name, kind)
    if kind == "strided":
        return CentreFrameLifter(module, fixture["config"]["frames"], device="cpu")
    return SequenceLifter(module, fixture["config"]["num_frame"], device="cpu")


@requires_shared(f"fixtures/{MIXSTE}")
def test_published_name_loads_the_file_placed_in_the_cache(tmp_path, monkeypatch):
    fixture = load_fixture(MIXSTE)
    monkeypatch.setenv("VIDEO3D_CACHE", str(tmp_path))
    torch.save(mixste_run_py_checkpoint(fixture["state_dict"], "module."), tmp_path / "best_epoch_cpn_243f.bin")
    lifter = load_lifter("mixste", device="cpu")
    assert lifter.description == "MixSTE (best_epoch_cpn_243f.bin)"
    clip = fixture["input"][0].numpy()
    np.testing.assert_array_equal(lifter(Track2D(clip, np.ones((243, 17), np.float32))),
                                  direct_runner(MIXSTE, "mixste")(clip))


@pytest.mark.parametrize("layout", FORMATS)
@pytest.mark.parametrize("fixture_name, kind", [(STRIDED, "strided"), (MIXSTE, "mixste")])
def test_load_lifter_path_equals_the_state_dict_loaded_directly(tmp_path, layout, fixture_name, kind):
    if not (FIXTURES / fixture_name).exists():
        pytest.skip(f"../shared/fixtures/{fixture_name} not available")
    _, path = write_checkpoint(tmp_path, fixture_name, kind, layout)
    lifter = load_lifter(str(path), device="cpu")
    clip = np.random.default_rng(3).uniform(-0.5, 0.5, (12, 17, 2)).astype(np.float32)
    lifted = lifter(Track2D(clip, np.ones((12, 17), np.float32)))
    assert lifted.shape == (12, 17, 3) and lifted.dtype == np.float32
    np.testing.assert_array_equal(lifted, direct_runner(fixture_name, kind)(clip))
    assert path.name in lifter.description


@requires_shared(f"fixtures/{MIXSTE}")
def test_strict_loading_names_missing_unexpected_and_misshapen_keys(tmp_path):
    state_dict = dict(load_fixture(MIXSTE)["state_dict"])
    del state_dict["STEblocks.1.attn.proj.bias"]
    state_dict["STEblocks.0.attn.relative_bias"] = torch.zeros(3)
    state_dict["head.1.weight"] = torch.zeros(3, 32)
    torch.save({"model_pos": state_dict}, tmp_path / "damaged.bin")
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(tmp_path / "damaged.bin").build()
    message = str(raised.value)
    assert "\n" not in message
    assert "missing keys: STEblocks.1.attn.proj.bias" in message
    assert "unexpected keys: STEblocks.0.attn.relative_bias" in message
    assert "wrong shapes: head.1.weight (3, 32) instead of (3, 64)" in message


def test_unreadable_and_foreign_files_get_one_line_errors(tmp_path):
    (tmp_path / "notes.pth").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match=r"notes.pth is not a readable PyTorch checkpoint"):
        read_checkpoint(tmp_path / "notes.pth")
    with pytest.raises(ModelFileError, match=r"checkpoint file not found: .*absent.pth"):
        load_lifter(str(tmp_path / "absent.pth"))
    torch.save({"conv.weight": torch.zeros(2, 2)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="cannot tell which lifter these weights belong to"):
        read_checkpoint(tmp_path / "other.pth")
    # weights_only stays on: arbitrary Python objects are refused, not executed.
    torch.save({"model_pos": {"x": torch.zeros(1)}, "args": argparse.Namespace(frames=351)}, tmp_path / "args.pth")
    with pytest.raises(CheckpointError, match="safe loading refuses.*argparse.Namespace"):
        read_checkpoint(tmp_path / "args.pth")


def test_unknown_spec_and_missing_published_file(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown lifter 'videopose'; choose 'auto', .*'mixste', 'strided' or a checkpoint path"):
        load_lifter("videopose")
    monkeypatch.setenv("VIDEO3D_CACHE", str(tmp_path))
    with pytest.raises(ModelFileError, match=rf"save it as {tmp_path / 'strided_no_refine_351.pth'}"):
        load_lifter("strided")


@pytest.mark.skipif(not SAMPLE_CLIP.exists(), reason="videos/sports2d_demo.mp4 not available")
@requires_shared(f"fixtures/{STRIDED}")
def test_cli_with_a_checkpoint_path_gives_the_state_dict_result(tmp_path):
    from app.cli import main

    _, path = write_checkpoint(tmp_path, STRIDED, "strided", "flat")
    clip = cut_clip(SAMPLE_CLIP, tmp_path / "clip.mp4", 16)
    status = main(["--video", str(clip), "--lifter", str(path), "--device", "cpu", "--output", str(tmp_path / "out"),
                   "--no-progress"])
    assert status == 0
    saved = np.load(tmp_path / "out" / "clip" / "clip_keypoints.npz")
    assert str(saved["lifter"]) == str(path.resolve())  # what --lifter takes to run it again
    normalized = normalize_screen_coordinates(fill_gaps(saved["keypoints_2d"][0], saved["valid"][0]),
                                              *saved["image_size"])
    expected = direct_runner(STRIDED, "strided")(normalized)
    np.testing.assert_allclose(saved["keypoints_3d"][0], expected, atol=1e-6)
