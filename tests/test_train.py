"""Training: config checks, the learning-rate schedule, save/resume equivalence and the CI smoke run."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from lifters.api import load_lifter
from lifters.checkpoints import read_checkpoint
from lifters.train import Trainer, TrainingConfig, learning_rate_at, load_config, train
from conftest import REPO

SMOKE_CONFIG = REPO / "lifters" / "configs" / "smoke.toml"


def smoke_config(steps: int = 4) -> dict:
    config = load_config(SMOKE_CONFIG)
    config["training"] = replace(config["training"], steps=steps, log_every=100, validation_every=100,
                                 checkpoint_every=2)
    return config


def test_shipped_configs_load():
    full = load_config(REPO / "lifters" / "configs" / "full.toml")
    assert full["data"]["source"] == "synthetic"
    assert full["training"].export == "weights/mixste_synthetic.pt"
    assert {"num_frame", "embed_dim_ratio", "depth", "num_heads"} <= full["model"].keys()


def test_bad_configs_say_what_is_wrong(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[model]\nnum_frame = 9\n[data]\nsource = 'synthetic'\n")
    with pytest.raises(ValueError, match=r"missing section\(s\) \['training'\]"):
        load_config(path)
    path.write_text("[model]\n[training]\nseed = 0\nsteps = 1\nbatch_size = 1\nlearning_rate = 0.1\nlr = 1\n"
                    "[data]\nsource = 'synthetic'\n")
    with pytest.raises(ValueError, match=r"unknown \[training\] key\(s\) \['lr'\]"):
        load_config(path)
    path.write_text("[model]\n[training]\n[data]\nsource = 'mocap'\n")
    with pytest.raises(ValueError, match="source must be 'synthetic' or 'h36m'"):
        load_config(path)


def test_learning_rate_warms_up_then_decays_to_the_final_ratio():
    settings = TrainingConfig(seed=0, steps=110, batch_size=1, learning_rate=1.0, warmup_steps=10,
                              final_learning_rate_ratio=0.1)
    assert learning_rate_at(0, settings) == pytest.approx(0.1)
    assert learning_rate_at(9, settings) == pytest.approx(1.0)
    assert learning_rate_at(60, settings) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way down the cosine
    assert learning_rate_at(110, settings) == pytest.approx(0.1)


def test_resuming_from_a_checkpoint_continues_exactly(tmp_path):
    torch.set_num_threads(1)
    straight = Trainer(smoke_config(), torch.device("cpu"))
    for _ in range(4):
        straight.train_step()
    first_half = Trainer(smoke_config(), torch.device("cpu"))
    first_half.train_step(), first_half.train_step()
    torch.save(first_half.state(), tmp_path / "half.pt")
    resumed = Trainer(smoke_config(), torch.device("cpu"))
    resumed.load_state(torch.load(tmp_path / "half.pt", weights_only=True))
    assert resumed.step == 2
    resumed.train_step(), resumed.train_step()
    for name, tensor in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], tensor, rtol=0, atol=0, msg=name)


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path):
    trainer = Trainer(smoke_config(), torch.device("cpu"))
    state = trainer.state()
    state["config"] = {**state["config"], "embed_dim_ratio": 32}
    with pytest.raises(ValueError, match="checkpoint model .* differs from the config"):
        trainer.load_state(state)


def test_train_exports_weights_the_pipeline_loads(tmp_path):
    torch.set_num_threads(1)
    export = tmp_path / "lifter.pt"
    train(smoke_config(steps=2), tmp_path / "run", export, log=lambda message: None)
    checkpoint = read_checkpoint(export)
    assert checkpoint.kind == "mixste" and checkpoint.config["num_frame"] == 9
    assert "optimizer" not in torch.load(export, weights_only=True)
    lifter = load_lifter(str(export), "cpu")
    poses = lifter.runner(np.zeros((20, 17, 2), np.float32))
    assert poses.shape == (20, 17, 3) and np.isfinite(poses).all()
    # Continuing a finished run re-exports without training further.
    again = train(smoke_config(steps=2), tmp_path / "run", export, resume=tmp_path / "run" / "last.pt",
                  log=lambda message: None)
    assert again.step == 2


def test_smoke_mode_cli_runs_in_seconds(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lifters.train", "--config", str(SMOKE_CONFIG), "--smoke",
                             "--output-dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "step 3/3" in result.stdout and "final validation" in result.stdout
    assert (tmp_path / "smoke_export.pt").is_file() and (tmp_path / "last.pt").is_file()
