"""Train the project's MixSTE-architecture lifter.

    python -m lifters.train --config lifters/configs/full.toml [--smoke] [--resume CHECKPOINT]

The config (TOML) has [model] (``MixSTE2`` arguments), [training], [data] (source "synthetic", or "h36m" with
VideoPose3D's .npz files) and [noise] (``NoiseModel`` fields). Every ``checkpoint_every`` steps the full state
(model, optimizer, step, random generators) goes to ``<output_dir>/last.pt``; ``--resume`` continues from one
exactly as if never stopped. At the end the weights are exported without optimizer state in the project format
(``lifters/api.py``) to the config's ``export`` path. ``--smoke`` runs 3 tiny steps and exports into the output
folder (CI).
"""
from __future__ import annotations

import argparse
import contextlib
import math
import time
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from lifters.metrics import mpjpe, p_mpjpe
from lifters.mixste import MixSTE2
from lifters.runner import choose_device
from lifters.synthetic.dataset import SyntheticWindows
from lifters.synthetic.noise import NoiseModel

REPO_ROOT = Path(__file__).resolve().parent.parent
# MixSTE's per-joint loss weights (run.py): limb ends count more.
JOINT_WEIGHTS = (1, 1, 2.5, 2.5, 1, 2.5, 2.5, 1, 1, 1, 1.5, 1.5, 4, 4, 1.5, 4, 4)
VALIDATION_SEED_OFFSET = 1_000_003  # held-out clips come from a seed no training run uses


@dataclass(frozen=True)
class TrainingConfig:
    """[training] section."""

    seed: int
    steps: int
    batch_size: int
    learning_rate: float
    weight_decay: float = 0.01
    warmup_steps: int = 200
    final_learning_rate_ratio: float = 0.02
    velocity_loss_weight: float = 2.0
    bfloat16_autocast: bool = False
    checkpoint_every: int = 200
    log_every: int = 50
    validation_every: int = 500
    validation_windows: int = 32
    export: str = "weights/mixste_synthetic.pt"


def load_config(path: Path) -> dict:
    """Read and check a training config; returns {"model": {...}, "training": TrainingConfig, "data", "noise"}."""
    with open(path, "rb") as file:
        raw = tomllib.load(file)
    missing = {"model", "training", "data"} - raw.keys()
    if missing:
        raise ValueError(f"{path}: missing section(s) {sorted(missing)}")
    known = {field.name for field in fields(TrainingConfig)}
    unknown = raw["training"].keys() - known
    if unknown:
        raise ValueError(f"{path}: unknown [training] key(s) {sorted(unknown)}")
    if raw["data"].get("source") not in ("synthetic", "h36m"):
        raise ValueError(f"{path}: [data] source must be 'synthetic' or 'h36m'")
    return {"model": dict(raw["model"]), "training": TrainingConfig(**raw["training"]), "data": dict(raw["data"]),
            "noise": dict(raw.get("noise", {}))}


def make_dataset(config: dict, window_size: int):
    """The training stream the config asks for (an IterableDataset of (2D, 3D) windows)."""
    data, seed = config["data"], config["training"].seed
    if data["source"] == "h36m":
        from lifters.h36m_data import H36MWindows

        return H36MWindows(Path(data["h36m_dir"]), data.get("subjects", ["S1", "S5", "S6", "S7", "S8"]),
                           window_size, seed, keypoints_2d=data.get("keypoints_2d", "cpn_ft_h36m_dbb"))
    return SyntheticWindows(window_size, seed, NoiseModel(**config["noise"]))


def training_loss(predicted: torch.Tensor, target: torch.Tensor, velocity_weight: float) -> torch.Tensor:
    """MixSTE-style loss on (B, F, 17, 3) metres: joint-weighted MPJPE + ``velocity_weight`` × velocity error."""
    weights = predicted.new_tensor(JOINT_WEIGHTS)
    position = ((predicted - target).norm(dim=-1) * weights).mean()
    velocity = (predicted.diff(dim=1) - target.diff(dim=1)).norm(dim=-1).mean()
    return position + velocity_weight * velocity


def learning_rate_at(step: int, settings: TrainingConfig) -> float:
    """Linear warm-up, then cosine decay to ``final_learning_rate_ratio`` × the peak (depends on the step only)."""
    if step < settings.warmup_steps:
        return settings.learning_rate * (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
    ratio = settings.final_learning_rate_ratio
    return settings.learning_rate * (ratio + (1 - ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


class Trainer:
    """Model, optimizer and data stream of one training run, with save/resume of all of it."""

    def __init__(self, config: dict, device: torch.device):
        self.config, self.settings, self.device = config, config["training"], device
        torch.manual_seed(self.settings.seed)
        self.model = MixSTE2(**config["model"]).to(device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.settings.learning_rate,
                                           weight_decay=self.settings.weight_decay)
        self.dataset = make_dataset(config, config["model"]["num_frame"])
        self.stream = iter(self.dataset)
        self.step, self.train_seconds = 0, 0.0

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        if self.settings.bfloat16_autocast:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        inputs, targets = zip(*(next(self.stream) for _ in range(self.settings.batch_size)))
        return torch.stack(inputs).to(self.device), torch.stack(targets).to(self.device)

    def train_step(self) -> float:
        self.model.train()
        inputs, targets = self._batch()
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate_at(self.step, self.settings)
        with self._autocast():
            predicted = self.model(inputs)
        loss = training_loss(predicted.float(), targets, self.settings.velocity_loss_weight)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        return float(loss.detach())

    def validate(self, num_windows: int) -> dict[str, float]:
        """MPJPE and P-MPJPE (mm) on held-out noisy synthetic windows, without flip augmentation."""
        held_out = SyntheticWindows(self.config["model"]["num_frame"], self.settings.seed + VALIDATION_SEED_OFFSET)
        clips = [held_out.sample_clip() for _ in range(num_windows)]
        inputs = torch.from_numpy(np.stack([clip.keypoints_2d for clip in clips])).to(self.device)
        targets = np.stack([clip.poses_3d for clip in clips])
        self.model.eval()
        with torch.inference_mode(), self._autocast():
            predicted = self.model(inputs).float().cpu().numpy()
        predicted -= predicted[:, :, :1]
        return {"mpjpe_mm": 1000 * mpjpe(predicted, targets), "p_mpjpe_mm": 1000 * p_mpjpe(predicted, targets)}

    def state(self) -> dict:
        return {"kind": "mixste", "config": self.config["model"], "state_dict": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "step": self.step,
                "meta": {"train_seconds": self.train_seconds, "seed": self.settings.seed,
                         "data_rng": self.dataset.rng.bit_generator.state, "torch_rng": torch.get_rng_state()}}

    def load_state(self, checkpoint: dict) -> None:
        if checkpoint["config"] != self.config["model"]:
            raise ValueError(f"checkpoint model {checkpoint['config']} differs from the config's "
                             f"{self.config['model']}")
        self.model.load_state_dict(checkpoint["state_dict"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.step = checkpoint["step"]
        self.train_seconds = checkpoint["meta"]["train_seconds"]
        self.dataset.rng.bit_generator.state = checkpoint["meta"]["data_rng"]
        torch.set_rng_state(checkpoint["meta"]["torch_rng"])

    def export(self, path: Path, meta: dict) -> None:
        """Weights only, in the format ``lifters.api.load_lifter`` reads."""
        path.parent.mkdir(parents=True, exist_ok=True)
        state_dict = {name: tensor.detach().cpu().float() for name, tensor in self.model.state_dict().items()}
        torch.save({"kind": "mixste", "config": self.config["model"], "state_dict": state_dict, "meta": meta}, path)


def save_atomically(state: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)


def train(config: dict, output_dir: Path, export_path: Path, resume: Path | None = None,
          device: str | None = None, log=print) -> Trainer:
    """Run (or continue) training to ``config['training'].steps``; checkpoint, validate and export."""
    settings = config["training"]
    trainer = Trainer(config, choose_device(device))
    if resume is not None:
        trainer.load_state(torch.load(resume, map_location=trainer.device, weights_only=True))
        log(f"resumed from {resume} at step {trainer.step}")
    recent_losses = []
    started = time.perf_counter()
    while trainer.step < settings.steps:
        recent_losses.append(trainer.train_step())
        trainer.train_seconds += time.perf_counter() - started
        started = time.perf_counter()
        if trainer.step % settings.log_every == 0 or trainer.step == settings.steps:
            frames = settings.batch_size * config["model"]["num_frame"] * trainer.step
            log(f"step {trainer.step}/{settings.steps} loss {np.mean(recent_losses):.4f} "
                f"lr {learning_rate_at(trainer.step - 1, settings):.2e} {trainer.train_seconds:.0f} s "
                f"({frames / max(trainer.train_seconds, 1e-9):.0f} frames/s)")
            recent_losses = []
        if trainer.step % settings.validation_every == 0:
            scores = trainer.validate(settings.validation_windows)
            log(f"validation step {trainer.step}: MPJPE {scores['mpjpe_mm']:.1f} mm, "
                f"P-MPJPE {scores['p_mpjpe_mm']:.1f} mm")
        if trainer.step % settings.checkpoint_every == 0 or trainer.step == settings.steps:
            save_atomically(trainer.state(), output_dir / "last.pt")
        started = time.perf_counter()
    scores = trainer.validate(settings.validation_windows)
    log(f"final validation: MPJPE {scores['mpjpe_mm']:.1f} mm, P-MPJPE {scores['p_mpjpe_mm']:.1f} mm")
    trainer.export(export_path, {"data": config["data"]["source"], "noise": config["noise"],
                                 "seed": settings.seed, "steps": trainer.step,
                                 "train_seconds": round(trainer.train_seconds), "validation": scores,
                                 "torch": str(torch.__version__), "device": str(trainer.device)})
    log(f"exported {export_path}")
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the project's MixSTE-architecture lifter.")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true", help="3 tiny steps, export into the output folder (CI)")
    parser.add_argument("--resume", type=Path, help="a last.pt checkpoint to continue from")
    parser.add_argument("--output-dir", type=Path, help="checkpoint folder (default output/train/<config name>)")
    parser.add_argument("--device", help="cpu, cuda, … (default: CUDA when available)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        config = load_config(args.config)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as error:
        parser.error(str(error))
    output_dir = args.output_dir or REPO_ROOT / "output" / "train" / args.config.stem
    export_path = REPO_ROOT / config["training"].export
    if args.smoke:
        config["training"] = TrainingConfig(**{**vars(config["training"]), "steps": 3, "batch_size": 2,
                                               "warmup_steps": 1, "log_every": 1, "validation_every": 3,
                                               "validation_windows": 2, "checkpoint_every": 1})
        export_path = output_dir / "smoke_export.pt"
    train(config, output_dir, export_path, args.resume, args.device)


if __name__ == "__main__":
    main()
