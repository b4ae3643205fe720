"""StridedTransformer-Pose3D (Li et al., IEEE TMM 2022), state-dict compatible with the official code.

Official repository Vegetebird/StridedTransformer-Pose3D @ e5e6247: ``model/strided_transformer.py::Model`` and
``model/block/{vanilla,strided}_transformer_encoder.py``, ``model/block/refine.py::refine``. Module and parameter
names follow the official tree exactly, so official ``.pth`` files load with ``strict=True``.

``StridedTransformer`` input: (B, frames, J, 2) normalised 2D (``lifters.skeleton.normalize_screen_coordinates``).
Returns ``(x_STE, x_VTE)``: x_STE (B, 1, J, 3) is the pose of the centre frame ``(frames - 1) // 2`` (seq2frame);
x_VTE (B, frames, J, 3) is the auxiliary full-sequence head, used only by the official training loss.
"""
from __future__ import annotations

import torch
from torch import nn

HEADS = 8  # hard-coded in the official MultiHeadedAttention; the released model never passes another value


class LayerNorm(nn.Module):
    """The Annotated-Transformer LayerNorm: eps is added to the *unbiased* std, not to the variance."""

    def __init__(self, features: int, eps: float = 1e-6):
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        return self.a_2 * (x - mean) / (std + self.eps) + self.b_2


class MultiHeadedAttention(nn.Module):
    """``linears.0..3`` are the query, key, value and output projections."""

    def __init__(self, channel: int, dropout: float = 0.1):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(channel, channel) for _ in range(4))
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, channel = x.shape
        query, key, value = (linear(x).view(batch, tokens, HEADS, channel // HEADS).transpose(1, 2)
                             for linear in self.linears[:3])
        # softmax(q kᵀ / sqrt(d_k)) v, through the fused kernel (its default scale is 1/sqrt(d_k)).
        out = nn.functional.scaled_dot_product_attention(
            query, key, value, dropout_p=self.dropout if self.training else 0.0)
        return self.linears[3](out.transpose(1, 2).reshape(batch, tokens, channel))


class VanillaFeedForward(nn.Module):
    """Position-wise FFN of the VTE; ReLU although the official attribute is called ``gelu``."""

    def __init__(self, channel: int, d_hid: int, dropout: float = 0.1):
        super().__init__()
        self.w_1 = nn.Linear(channel, d_hid)
        self.w_2 = nn.Linear(d_hid, channel)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_2(self.dropout(torch.relu(self.w_1(x))))


class StridedFeedForward(nn.Module):
    """FFN of the STE: 1×1 conv, ReLU, then a k=3 conv with ``stride`` that shortens the sequence."""

    def __init__(self, channel: int, d_hid: int, stride: int, dropout: float = 0.1):
        super().__init__()
        self.w_1 = nn.Conv1d(channel, d_hid, kernel_size=1)
        self.w_2 = nn.Conv1d(d_hid, channel, kernel_size=3, stride=stride, padding=1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)
        return self.w_2(self.dropout(torch.relu(self.w_1(x)))).transpose(1, 2)


class SublayerConnection(nn.Module):
    """Pre-norm residual ``residual(x) + dropout(sublayer(norm(x)))``.

    ``stride`` > 1 subsamples the residual path as the official ``MaxPool1d(kernel_size=1, stride)`` does.
    """

    def __init__(self, channel: int, stride: int = 1, dropout: float = 0.1):
        super().__init__()
        self.norm = LayerNorm(channel)
        self.dropout = nn.Dropout(dropout)
        self.stride = stride

    def forward(self, x: torch.Tensor, sublayer: nn.Module) -> torch.Tensor:
        return x[:, ::self.stride] + self.dropout(sublayer(self.norm(x)))


class EncoderLayer(nn.Module):
    def __init__(self, channel: int, feed_forward: nn.Module, stride: int = 1):
        super().__init__()
        self.self_attn = MultiHeadedAttention(channel)
        self.feed_forward = feed_forward
        self.sublayer = nn.ModuleList([SublayerConnection(channel), SublayerConnection(channel, stride)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.sublayer[0](x, self.self_attn)
        return self.sublayer[1](x, self.feed_forward)


class VanillaEncoder(nn.Module):
    """``norm`` exists in the official state_dict but the official forward never applies it."""

    def __init__(self, layers: int, channel: int, d_hid: int):
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(channel, VanillaFeedForward(channel, d_hid)) for _ in range(layers))
        self.norm = LayerNorm(channel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class VanillaTransformer(nn.Module):
    """The VTE: full-length positional embedding, then ``layers`` pre-norm layers."""

    def __init__(self, layers: int, channel: int, d_hid: int, frames: int):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.randn(1, frames, channel))
        self.model = VanillaEncoder(layers, channel, d_hid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x + self.pos_embedding)


class StridedEncoder(nn.Module):
    """The STE body: before layer i (< 3) the first L_i rows of ``pos_embedding_{i+1}`` are added.

    The official code always creates three embeddings and an unused final ``norm``.
    """

    def __init__(self, channel: int, d_hid: int, frames: int, stride_num: list[int]):
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(channel, StridedFeedForward(channel, d_hid, stride), stride) for stride in stride_num)
        self.norm = LayerNorm(channel)
        self.pos_embedding_1 = nn.Parameter(torch.randn(1, frames, channel))
        self.pos_embedding_2 = nn.Parameter(torch.randn(1, frames, channel))
        self.pos_embedding_3 = nn.Parameter(torch.randn(1, frames, channel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        embeddings = (self.pos_embedding_1, self.pos_embedding_2, self.pos_embedding_3)
        for index, layer in enumerate(self.layers):
            if index < len(embeddings):
                x = x + embeddings[index][:, :x.shape[1]]
            x = layer(x)
        return x


class StridedTransformerReduce(nn.Module):
    def __init__(self, channel: int, d_hid: int, frames: int, stride_num: list[int]):
        super().__init__()
        self.model = StridedEncoder(channel, d_hid, frames, stride_num)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _head(channel: int, out_joints: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm1d(channel, momentum=0.1), nn.Conv1d(channel, 3 * out_joints, kernel_size=1))


def _to_poses(x: torch.Tensor, joints: int) -> torch.Tensor:
    """(B, J*3, F) with channel j*3 + c → (B, F, J, 3)."""
    return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], joints, 3)


class StridedTransformer(nn.Module):
    """The official ``Model(args)`` with the ``args`` fields as keyword arguments.

    Released configuration: layers=3, channel=256, d_hid=512, frames=351, stride_num=[3, 9, 13].
    """

    def __init__(self, layers: int = 3, channel: int = 256, d_hid: int = 512, frames: int = 351,
                 stride_num: list[int] | tuple[int, ...] = (3, 9, 13), n_joints: int = 17, out_joints: int = 17):
        super().__init__()
        self.frames, self.n_joints, self.out_joints = frames, n_joints, out_joints
        self.encoder = nn.Sequential(nn.Conv1d(2 * n_joints, channel, kernel_size=1),
                                     nn.BatchNorm1d(channel, momentum=0.1), nn.ReLU(inplace=True), nn.Dropout(0.25))
        self.Transformer = VanillaTransformer(layers, channel, d_hid, frames)
        self.Transformer_reduce = StridedTransformerReduce(channel, d_hid, frames, list(stride_num))
        self.fcn = _head(channel, out_joints)
        self.fcn_1 = _head(channel, out_joints)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch, frames, joints, _ = x.shape
        if frames != self.frames or joints != self.n_joints:
            raise ValueError(f"StridedTransformer expects (B, {self.frames}, {self.n_joints}, 2) input, "
                             f"got {tuple(x.shape)}")
        # 'b f j c -> b (j c) f': input channel j*2 + c.
        x = self.encoder(x.reshape(batch, frames, joints * 2).transpose(1, 2)).transpose(1, 2)
        x = self.Transformer(x)
        x_vte = _to_poses(self.fcn_1(x.transpose(1, 2)), self.out_joints)
        x = self.Transformer_reduce(x)
        x_ste = _to_poses(self.fcn(x.transpose(1, 2)), self.out_joints)
        return x_ste, x_vte


class Refine(nn.Module):
    """The official ``refine(opt)`` post-refinement of the centre-frame x, y.

    forward(x, x_1): x (N, 1, J, 3) STE output; x_1 (N, 1, J, 3) the uvd→xyz conversion of the prediction,
    which needs the camera intrinsics and the ground-truth root depth (so it cannot run on in-the-wild video).
    Returns (N, 1, J, 3): x, y blended as score·x + (1 - score)·x_1; z unchanged.
    """

    def __init__(self, in_channels: int = 2, out_channels: int = 3, n_joints: int = 17):
        super().__init__()
        self.post_refine = nn.Sequential(nn.Linear(out_channels * 2 * n_joints, 1024), nn.ReLU(),
                                         nn.Dropout(0.5), nn.Linear(1024, in_channels * n_joints), nn.Sigmoid())

    def forward(self, x: torch.Tensor, x_1: torch.Tensor) -> torch.Tensor:
        batch, frames, joints, _ = x.shape
        score = self.post_refine(torch.cat((x, x_1), -1).reshape(batch, -1)).view(batch, frames, joints, 2)
        blended = score * x[..., :2] + (1 - score) * x_1[..., :2]
        return torch.cat((blended, x[..., 2:]), -1)
