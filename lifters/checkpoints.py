"""Reading lifter checkpoints in every format the official code writes, and loading them strictly.

Formats: a flat state_dict (StridedTransformer ``no_refine_*.pth`` / ``refine_*.pth``); MixSTE's
``{'epoch', 'lr', 'random_state', 'optimizer', 'model_pos'}`` with or without ``module.`` prefixes; mmpose's
``{'state_dict', 'meta'}``; and this project's ``{'kind', 'config', 'state_dict', 'meta'}``. Files that carry no
config get kind and config inferred from their key names and tensor shapes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.random._pickle as numpy_random_pickle
import torch
from numpy.core.multiarray import _reconstruct, scalar
from torch import nn

from lifters.official import build

# What official checkpoints pickle besides tensors: numpy arrays and scalars (mmpose's meta) and a numpy
# RandomState (MixSTE's 'random_state'). These only rebuild data, so weights_only loading may allow them.
NUMPY_DATA_GLOBALS = [np.ndarray, np.dtype, _reconstruct, scalar, np.random.RandomState, np.random.MT19937,
                      numpy_random_pickle.__randomstate_ctor, numpy_random_pickle.__bit_generator_ctor,
                      *(getattr(np.dtypes, name) for name in np.dtypes.__all__)]
# The official StridedTransformer defines strides only for these input lengths (common/opt.py).
STRIDED_STRIDES = {27: [3, 3, 3], 351: [3, 9, 13]}
MIXSTE_HEADS = 8  # not visible in the weights; every official MixSTE configuration uses 8
LISTED_KEYS = 5


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not match its model; the message is one line."""


@dataclass
class LifterCheckpoint:
    """kind: one of ``lifters.official.KINDS``; config: official constructor arguments;
    state_dict: official key names, no ``module.`` prefix."""

    kind: str
    config: dict
    state_dict: dict[str, torch.Tensor]

    def build(self) -> nn.Module:
        """The eval-mode module with these weights, loaded strictly."""
        module = build(self.kind, self.config)
        load_strict(module, self.state_dict, self.kind)
        return module


def _load_failure(error: Exception) -> tuple[bool, str]:
    """(whether safe loading refused a Python object, the one line of torch's long message that says why)."""
    _, found, detail = str(error).partition("WeightsUnpickler error:")
    lines = [line.strip() for line in (detail if found else str(error)).splitlines() if line.strip()]
    refusal = next((line for line in lines if line.startswith(("Unsupported global", "Can only build",
                                                               "Trying to load unsupported"))), None)
    return refusal is not None, (refusal or (lines[0] if lines else "")).split(". ")[0].rstrip(".")


def read_checkpoint(path: str | Path) -> LifterCheckpoint:
    """Any supported checkpoint file → its kind, config and clean state_dict (``torch.load(weights_only=True)``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    try:
        with torch.serialization.safe_globals(NUMPY_DATA_GLOBALS):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load fails on foreign files with many error types (KeyError, EOFError, …)
        refused, reason = _load_failure(error)
        if refused:
            raise CheckpointError(f"{path} holds objects that safe loading refuses: {reason}") from None
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint ({type(error).__name__}: {reason})"
                              ) from None
    if isinstance(payload, dict) and {"kind", "config", "state_dict"} <= payload.keys():
        return LifterCheckpoint(payload["kind"], dict(payload["config"]), official_state_dict(payload["state_dict"]))
    state_dict = official_state_dict(payload)
    kind = infer_kind(state_dict)
    return LifterCheckpoint(kind, infer_config(kind, state_dict), state_dict)


def official_state_dict(payload: object) -> dict[str, torch.Tensor]:
    """Unwrap ``model_pos`` / ``state_dict`` wrappers and strip a ``module.`` prefix shared by every key."""
    if isinstance(payload, dict):
        for wrapper in ("model_pos", "state_dict"):
            if isinstance(payload.get(wrapper), dict):
                payload = payload[wrapper]
                break
    if not isinstance(payload, dict) or not payload or not all(
            isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in payload.items()):
        raise CheckpointError("not a lifter checkpoint: expected a state_dict, {'model_pos': ...} or "
                              "{'state_dict': ..., 'meta': ...}")
    if all(key.startswith("module.") for key in payload):
        return {key[len("module."):]: value for key, value in payload.items()}
    return dict(payload)


def infer_kind(state_dict: dict[str, torch.Tensor]) -> str:
    """Which official model a state_dict belongs to, from its key names."""
    if "Transformer_reduce.model.pos_embedding_1" in state_dict:
        return "strided"
    if "post_refine.0.weight" in state_dict:
        return "strided_refine"
    if "STEblocks.0.attn.qkv.weight" in state_dict:
        return "mixste"
    if "STEblocks.0.mlp.fc1.weight" in state_dict:
        return "mixste_pool"
    raise CheckpointError(f"cannot tell which lifter these weights belong to (first keys: "
                          f"{', '.join(list(state_dict)[:LISTED_KEYS])}); expected StridedTransformer or MixSTE keys")


def _count_blocks(state_dict: dict[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    return len({match.group(1) for key in state_dict if (match := pattern.match(key))})


def infer_config(kind: str, state_dict: dict[str, torch.Tensor]) -> dict:
    """Official constructor arguments of ``kind`` read off the tensor shapes."""
    if kind == "strided":
        channel, input_channels, _ = state_dict["encoder.0.weight"].shape
        frames = state_dict["Transformer.pos_embedding"].shape[1]
        strided_layers = _count_blocks(state_dict, "Transformer_reduce.model.layers.")
        stride_num = STRIDED_STRIDES.get(frames)
        if stride_num is None or len(stride_num) != strided_layers:
            raise CheckpointError(f"cannot tell the strides of a {frames}-frame StridedTransformer with "
                                  f"{strided_layers} strided layers; the official code defines only "
                                  f"{STRIDED_STRIDES}")
        return dict(layers=_count_blocks(state_dict, "Transformer.model.layers."), channel=channel,
                    d_hid=state_dict["Transformer.model.layers.0.feed_forward.w_1.weight"].shape[0], frames=frames,
                    stride_num=stride_num, n_joints=input_channels // 2,
                    out_joints=state_dict["fcn.1.weight"].shape[0] // 3)
    if kind == "strided_refine":
        joints = 17  # the refine weights fix only joints × channels; the official model is H36M-17
        return dict(in_channels=state_dict["post_refine.3.weight"].shape[0] // joints,
                    out_channels=state_dict["post_refine.0.weight"].shape[1] // (2 * joints), n_joints=joints)
    embed_dim, in_chans = state_dict["Spatial_patch_to_embedding.weight"].shape
    return dict(num_frame=state_dict["Temporal_pos_embed"].shape[1], num_joints=state_dict["Spatial_pos_embed"].shape[1],
                in_chans=in_chans, embed_dim_ratio=embed_dim, depth=_count_blocks(state_dict, "STEblocks."),
                num_heads=MIXSTE_HEADS, mlp_ratio=state_dict["STEblocks.0.mlp.fc1.weight"].shape[0] / embed_dim,
                # the pool variant has no attention, so no qkv bias to look for
                qkv_bias=kind == "mixste_pool" or "STEblocks.0.attn.qkv.bias" in state_dict)


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:LISTED_KEYS])
    return shown + (f", … ({len(keys)} in all)" if len(keys) > LISTED_KEYS else "")


def load_strict(module: nn.Module, state_dict: dict[str, torch.Tensor], name: str) -> None:
    """``module.load_state_dict(state_dict, strict=True)``, failing with one line that names every mismatch kind."""
    expected = module.state_dict()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    wrong_shapes = [f"{key} {tuple(state_dict[key].shape)} instead of {tuple(value.shape)}"
                    for key, value in expected.items() if key in state_dict and state_dict[key].shape != value.shape]
    problems = [f"{label}: {_listed(keys)}" for label, keys in
                (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", wrong_shapes)) if keys]
    if problems:
        raise CheckpointError(f"the weights do not fit the {name} model; " + "; ".join(problems))
    module.load_state_dict(state_dict, strict=True)
