"""HRNet: official key manifests, parity with the official model, and the checkpoint loader's three name formats."""
from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import torch

from detectors import hrnet
from conftest import SHARED

FIXTURES = SHARED / "fixtures"
needs_fixtures = pytest.mark.skipif(not (FIXTURES / "hrnet_w32_256x192_parity.pt").exists(),
                                    reason="../shared/fixtures not available")


def manifest(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def model_w32():
    torch.manual_seed(0)
    return hrnet.build(32)


@needs_fixtures
@pytest.mark.parametrize("width, name", [(32, "hrnet_w32_256x192_manifest.json"),
                                         (48, "hrnet_w48_384x288_manifest.json")])
def test_state_dict_matches_official_manifest(width, name, model_w32):
    expected = manifest(name)
    model = model_w32 if width == 32 else hrnet.build(48)
    state_dict = model.state_dict()
    assert list(state_dict) == [entry["key"] for entry in expected["entries"]]
    assert [list(t.shape) for t in state_dict.values()] == [entry["shape"] for entry in expected["entries"]]
    assert sum(p.numel() for p in model.parameters()) == expected["param_count"]


@needs_fixtures
def test_parity_with_official_w32():
    fixture = torch.load(FIXTURES / "hrnet_w32_256x192_parity.pt", weights_only=True)
    namespace = {"np": np, "zlib": zlib}
    exec(fixture["weights_recipe_source"], namespace)
    state_dict = {entry["key"]: torch.from_numpy(np.asarray(namespace["recipe_tensor"](entry["key"],
                                                                                        tuple(entry["shape"]))))
                  for entry in manifest("hrnet_w32_256x192_manifest.json")["entries"]}
    for key, (total, abs_total) in fixture["weight_checksums"].items():
        values = state_dict[key].double()
        assert values.sum().item() == pytest.approx(total, rel=1e-9, abs=1e-9)
        assert values.abs().sum().item() == pytest.approx(abs_total, rel=1e-9, abs=1e-9)
    model = hrnet.build(32).eval()
    hrnet.load_weights(model, state_dict)
    captured = {}
    model.layer1.register_forward_hook(lambda module, inputs, output: captured.update(layer1=output))
    with torch.inference_mode():
        heatmaps = model(fixture["input"])
    torch.testing.assert_close(captured["layer1"], fixture["layer1_output"], atol=1e-4, rtol=1e-4)
    assert heatmaps.shape == (1, 17, 64, 48)
    torch.testing.assert_close(heatmaps, fixture["output"], atol=1e-4, rtol=1e-4)


@needs_fixtures
def test_manifest_mmpose_names_map_to_official_names():
    entries = manifest("hrnet_w48_384x288_manifest.json")["entries"]
    for column in ("mmpose_0x", "mmpose_1x"):
        renamed = hrnet.official_state_dict({"state_dict": {entry[column]: entry["key"] for entry in entries}})
        assert all(key == official for key, official in renamed.items())
        assert len(renamed) == len(entries)


def mmpose_key(key: str, head: str) -> str:
    return f"{head}.{key}" if key.startswith("final_layer.") else f"backbone.{key}"


@pytest.mark.parametrize("layout", ["official", "official_module_prefix", "mmpose_0x", "mmpose_1x"])
def test_load_checkpoint_formats(layout, model_w32, tmp_path):
    reference = {key: torch.randn(value.shape) if value.is_floating_point() else value
                 for key, value in model_w32.state_dict().items()}
    if layout == "official":
        checkpoint = reference
    elif layout == "official_module_prefix":
        checkpoint = {f"module.{key}": value for key, value in reference.items()}
    elif layout == "mmpose_0x":  # old files: no num_batches_tracked buffers
        checkpoint = {"meta": {"epoch": 210}, "state_dict": {
            mmpose_key(key, "keypoint_head"): value for key, value in reference.items()
            if not key.endswith("num_batches_tracked")}}
    else:
        state_dict = {mmpose_key(key, "head"): value for key, value in reference.items()}
        state_dict["data_preprocessor.mean"] = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
        state_dict["data_preprocessor.std"] = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
        checkpoint = {"meta": {"mmpose_version": "1.3.2"}, "state_dict": state_dict}
    path = tmp_path / "hrnet.pth"
    torch.save(checkpoint, path)
    model = hrnet.load_checkpoint(path)
    assert not model.training
    loaded = model.state_dict()
    assert list(loaded) == list(reference)
    for key, value in reference.items():
        assert torch.equal(loaded[key], value), key


def test_load_weights_rejects_wrong_width(model_w32):
    state_dict = dict(model_w32.state_dict())
    state_dict["final_layer.weight"] = torch.zeros(17, 48, 1, 1)
    with pytest.raises(ValueError, match=r"final_layer.weight has shape \(17, 48, 1, 1\).*wrong width"):
        hrnet.load_weights(hrnet.build(32), state_dict)


def test_load_weights_rejects_missing_and_unexpected_keys(model_w32):
    state_dict = dict(model_w32.state_dict())
    del state_dict["conv1.weight"]
    state_dict["neck.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"1 missing keys \(e.g. \['conv1.weight'\]\), 1 unexpected keys"):
        hrnet.load_weights(hrnet.build(32), state_dict)


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="HRNet checkpoint not found"):
        hrnet.load_checkpoint(tmp_path / "missing.pth")
    torch.save({"state_dict": {"backbone.conv1.weight": torch.zeros(64, 3, 3, 3)}}, tmp_path / "no_head.pth")
    with pytest.raises(ValueError, match="not an HRNet pose checkpoint"):
        hrnet.load_checkpoint(tmp_path / "no_head.pth")
    # mmpose metadata can hold numpy objects that weights_only=True refuses: reported, never unpickled unsafely.
    torch.save({"meta": {"dataset_meta": np.arange(3)}, "state_dict": {}}, tmp_path / "numpy_meta.pth")
    with pytest.raises(ValueError, match="cannot read HRNet checkpoint .* safely"):
        hrnet.load_checkpoint(tmp_path / "numpy_meta.pth")


def test_build_rejects_unknown_width():
    with pytest.raises(ValueError, match=r"HRNet width must be one of \(32, 48\), got 18"):
        hrnet.build(18)
