"""Building the published lifters from their official constructor arguments: ``build(kind, config)``.

kind: 'strided' (StridedTransformer ``Model(args)``; forward returns ``(x_STE, x_VTE)``), 'strided_refine'
(its ``refine(opt)``; forward(x, x_1)), 'mixste' (``MixSTE2(**config)``) or 'mixste_pool' (the PoolFormer-mixing
revised MixSTE of kuokai0429/MixSTE_modified @ 5b9f691; ``pool_size`` defaults to that commit's 7).
config: the official argument names, as stored under 'config' in the reference fixtures.
The built modules have the official state_dict keys and shapes, and are returned in eval mode.
"""
from __future__ import annotations

import inspect

from torch import nn

from lifters.mixste import MixSTE2
from lifters.strided import Refine, StridedTransformer

KINDS = ("strided", "strided_refine", "mixste", "mixste_pool")
POOL_SIZE = 7  # the kuokai0429/MixSTE_modified @ 5b9f691 value, hard-coded there


def _constructor(kind: str):
    if kind == "strided":
        return StridedTransformer
    if kind == "strided_refine":
        return Refine
    if kind in ("mixste", "mixste_pool"):
        return MixSTE2
    raise ValueError(f"unknown lifter kind {kind!r}; choose one of {', '.join(KINDS)}")


def build(kind: str, config: dict) -> nn.Module:
    """An eval-mode module of ``kind`` built from the official constructor arguments ``config``."""
    constructor = _constructor(kind)
    arguments = dict(config)
    if kind == "mixste_pool":
        arguments.setdefault("pool_size", POOL_SIZE)
    accepted = inspect.signature(constructor).parameters
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        raise ValueError(f"unknown {kind} config argument(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted)}")
    return constructor(**arguments).eval()
