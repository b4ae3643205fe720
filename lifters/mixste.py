"""MixSTE (Zhang et al., CVPR 2022), state-dict compatible with the official ``common/model_cross.py::MixSTE2``.

Input (B, F, J, 2) normalised 2D (``lifters.skeleton.normalize_screen_coordinates``), F == num_frame;
output (B, F, J, 3) camera-frame 3D in metres (seq2seq: one pose per input frame; root not zeroed).
"""
from __future__ import annotations

from functools import partial

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, qk_scale: float | None = None):
        super().__init__()
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, channels = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, channels // self.num_heads).permute(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        # Same maths as softmax(q kᵀ · scale) v, through the fused kernel.
        out = nn.functional.scaled_dot_product_attention(query, key, value, scale=self.scale)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, channels))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact erf GELU, as the official code
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class PoolMixer(nn.Module):
    """PoolFormer token mixing of the revised MixSTE (kuokai0429/MixSTE_modified @ 5b9f691).

    ``nn.AvgPool2d`` on a 3-D (B, N, C) tensor treats it as one unbatched image with B channels, so it
    averages over a k×k window of tokens × channels; kept as is, since checkpoints were trained that way.
    """

    def __init__(self, pool_size: int):
        super().__init__()
        self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size // 2, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


class Block(nn.Module):
    """Pre-LN transformer block: x + mix(norm1(x)), then x + mlp(norm2(x)); DropPath only in training."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, qkv_bias: bool, qk_scale: float | None,
                 drop_path: float, norm_layer, pool_size: int | None = None):
        super().__init__()
        self.norm1 = norm_layer(dim)
        if pool_size is None:
            self.attn = Attention(dim, num_heads, qkv_bias, qk_scale)
        else:
            self.token_mixer = PoolMixer(pool_size)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path_rate = drop_path

    def _drop_path(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_path_rate == 0.0:
            return x
        keep = 1.0 - self.drop_path_rate
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixer = self.attn if hasattr(self, "attn") else self.token_mixer
        x = x + self._drop_path(mixer(self.norm1(x)))
        return x + self._drop_path(self.mlp(self.norm2(x)))


class MixSTE2(nn.Module):
    """Official argument names; ``pool_size`` set selects the PoolFormer-mixing revised variant."""

    def __init__(self, num_frame: int = 243, num_joints: int = 17, in_chans: int = 2, embed_dim_ratio: int = 512,
                 depth: int = 8, num_heads: int = 8, mlp_ratio: float = 2.0, qkv_bias: bool = True,
                 qk_scale: float | None = None, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, norm_layer=None, pool_size: int | None = None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        dim = embed_dim_ratio
        self.num_frame, self.num_joints = num_frame, num_joints
        self.Spatial_patch_to_embedding = nn.Linear(in_chans, dim)
        self.Spatial_pos_embed = nn.Parameter(torch.zeros(1, num_joints, dim))
        self.Temporal_pos_embed = nn.Parameter(torch.zeros(1, num_frame, dim))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.STEblocks = nn.ModuleList(
            Block(dim, num_heads, mlp_ratio, qkv_bias, qk_scale, rate, norm_layer, pool_size) for rate in rates)
        self.TTEblocks = nn.ModuleList(
            Block(dim, num_heads, mlp_ratio, qkv_bias, qk_scale, rate, norm_layer, pool_size) for rate in rates)
        self.Spatial_norm = norm_layer(dim)
        self.Temporal_norm = norm_layer(dim)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 3))  # default eps 1e-5, as the official head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames, joints, _ = x.shape
        x = self.Spatial_patch_to_embedding(x.reshape(batch * frames, joints, -1)) + self.Spatial_pos_embed
        x = self.pos_drop(x)
        for index, (spatial, temporal) in enumerate(zip(self.STEblocks, self.TTEblocks)):
            x = self.Spatial_norm(spatial(x))
            x = x.reshape(batch, frames, joints, -1).transpose(1, 2).reshape(batch * joints, frames, -1)
            if index == 0:
                x = self.pos_drop(x + self.Temporal_pos_embed)
            x = self.Temporal_norm(temporal(x))
            x = x.reshape(batch, joints, frames, -1).transpose(1, 2).reshape(batch * frames, joints, -1)
        return self.head(x).reshape(batch, frames, joints, 3)
