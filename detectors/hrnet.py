"""HRNet (pose_hrnet) in plain PyTorch, with the official module tree and state_dict key names.

Mirrors ``lib/models/pose_hrnet.py`` of leoxiaobin/deep-high-resolution-net.pytorch (commit 6f69e467) for the COCO
configurations W32 and W48 (``experiments/coco/hrnet/*.yaml``). mmcv/mmpose cannot be installed on CPU-only
Python 3.11 machines (no mmcv wheels), and their HRNet has exactly these keys behind a ``backbone.`` prefix, so one
module plus ``load_checkpoint`` serves the official model zoo and mmpose 0.x/1.x files.

Forward: image batch (B, 3, H, W) float32, RGB normalised with ImageNet statistics → heatmaps (B, num_joints, H/4, W/4).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

BN_MOMENTUM = 0.1
BLOCKS_PER_BRANCH = 4
# (number of HighResolutionModules, number of branches) for stages 2, 3 and 4 of the COCO configurations.
STAGE_LAYOUT = ((1, 2), (4, 3), (3, 4))
SUPPORTED_WIDTHS = (32, 48)


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_channels: int, channels: int):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels)
        self.bn1 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, channels: int, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(channels, channels * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels * self.expansion, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


def fuse_layer(in_channels: list[int], source: int, target: int) -> nn.Module | None:
    """Resamples branch ``source`` to the resolution and width of branch ``target`` (None when they are equal)."""
    if source == target:
        return None
    if source > target:  # lower resolution → 1×1 conv then nearest upsampling
        return nn.Sequential(
            nn.Conv2d(in_channels[source], in_channels[target], 1, 1, 0, bias=False),
            nn.BatchNorm2d(in_channels[target]),
            nn.Upsample(scale_factor=2 ** (source - target), mode="nearest"),
        )
    steps = []  # higher resolution → (target - source) stride-2 3×3 convs; the last one has no ReLU
    for step in range(target - source):
        if step == target - source - 1:
            steps.append(nn.Sequential(conv3x3(in_channels[source], in_channels[target], 2),
                                       nn.BatchNorm2d(in_channels[target])))
        else:
            steps.append(nn.Sequential(conv3x3(in_channels[source], in_channels[source], 2),
                                       nn.BatchNorm2d(in_channels[source]), nn.ReLU(inplace=True)))
    return nn.Sequential(*steps)


class HighResolutionModule(nn.Module):
    """Parallel branches of BasicBlocks followed by all-to-all fusion (sum, then ReLU)."""

    def __init__(self, channels: list[int], multi_scale_output: bool):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*(BasicBlock(width, width) for _ in range(BLOCKS_PER_BRANCH))) for width in channels)
        outputs = len(channels) if multi_scale_output else 1
        self.fuse_layers = nn.ModuleList(
            nn.ModuleList(fuse_layer(channels, source, target) for source in range(len(channels)))
            for target in range(outputs))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        branch_outputs = [branch(x) for branch, x in zip(self.branches, inputs)]
        fused = []
        for target, layers in enumerate(self.fuse_layers):
            total = branch_outputs[0] if layers[0] is None else layers[0](branch_outputs[0])
            for source in range(1, len(branch_outputs)):
                x = branch_outputs[source]
                total = total + (x if layers[source] is None else layers[source](x))
            fused.append(self.relu(total))
        return fused


def transition_layer(previous: list[int], current: list[int]) -> nn.ModuleList:
    """Adapts the previous stage's branches to the next stage; new branches come from the lowest resolution."""
    layers: list[nn.Module | None] = []
    for branch, width in enumerate(current):
        if branch < len(previous):
            layers.append(None if width == previous[branch] else nn.Sequential(
                conv3x3(previous[branch], width), nn.BatchNorm2d(width), nn.ReLU(inplace=True)))
        else:
            steps = []
            for step in range(branch + 1 - len(previous)):
                out_width = width if step == branch - len(previous) else previous[-1]
                steps.append(nn.Sequential(conv3x3(previous[-1], out_width, 2), nn.BatchNorm2d(out_width),
                                           nn.ReLU(inplace=True)))
            layers.append(nn.Sequential(*steps))
    return nn.ModuleList(layers)


class PoseHighResolutionNet(nn.Module):
    def __init__(self, width: int, num_joints: int):
        super().__init__()
        self.conv1 = conv3x3(3, 64, 2)
        self.bn1 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.conv2 = conv3x3(64, 64, 2)
        self.bn2 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        downsample = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256, momentum=BN_MOMENTUM))
        self.layer1 = nn.Sequential(Bottleneck(64, 64, downsample), *(Bottleneck(256, 64) for _ in range(3)))

        previous = [256]
        for stage, (num_modules, num_branches) in enumerate(STAGE_LAYOUT, start=2):
            channels = [width * 2 ** branch for branch in range(num_branches)]
            setattr(self, f"transition{stage - 1}", transition_layer(previous, channels))
            last_stage = stage == 1 + len(STAGE_LAYOUT)
            setattr(self, f"stage{stage}", nn.Sequential(*(
                HighResolutionModule(channels, multi_scale_output=not (last_stage and index == num_modules - 1))
                for index in range(num_modules))))
            previous = channels
        self.final_layer = nn.Conv2d(width, num_joints, kernel_size=1, stride=1, padding=0)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(images)))
        x = self.relu(self.bn2(self.conv2(x)))
        branches = [self.layer1(x)]
        for stage in range(2, 2 + len(STAGE_LAYOUT)):
            transition = getattr(self, f"transition{stage - 1}")
            # A new branch is fed from the previous stage's lowest-resolution output.
            branches = [branches[index] if layer is None else layer(branches[min(index, len(branches) - 1)])
                        for index, layer in enumerate(transition)]
            branches = getattr(self, f"stage{stage}")(branches)
        return self.final_layer(branches[0])


def build(width: int = 32, num_joints: int = 17) -> PoseHighResolutionNet:
    """HRNet-W32 or -W48 (COCO configuration) with the official state_dict keys, in train mode like any nn.Module."""
    if width not in SUPPORTED_WIDTHS:
        raise ValueError(f"HRNet width must be one of {SUPPORTED_WIDTHS}, got {width}")
    return PoseHighResolutionNet(width, num_joints)


# mmpose prefixes → official prefixes (det2d.md §2.3).
_HEAD_PREFIXES = ("keypoint_head.final_layer.", "head.final_layer.")


def official_state_dict(checkpoint: dict) -> dict[str, torch.Tensor]:
    """Official, mmpose 0.x or mmpose 1.x checkpoint contents → a state_dict with the official key names.

    Accepts a bare state_dict or ``{'state_dict': ...}``; strips ``module.`` and ``backbone.``, maps the mmpose heads to
    ``final_layer.``, drops ``data_preprocessor.*``.
    """
    state_dict = checkpoint.get("state_dict", checkpoint)
    renamed = {}
    for key, tensor in state_dict.items():
        key = key.removeprefix("module.")
        if key.startswith("data_preprocessor."):
            continue
        key = key.removeprefix("backbone.")
        for prefix in _HEAD_PREFIXES:
            if key.startswith(prefix):
                key = "final_layer." + key.removeprefix(prefix)
        renamed[key] = tensor
    return renamed


def load_weights(model: nn.Module, checkpoint: dict) -> None:
    """Load a checkpoint into ``model`` strictly; only ``num_batches_tracked`` buffers may be missing."""
    state_dict = official_state_dict(checkpoint)
    expected = model.state_dict()
    for key in expected:
        if key.endswith("num_batches_tracked") and key not in state_dict:
            state_dict[key] = expected[key]
    unexpected = sorted(set(state_dict) - set(expected))
    missing = sorted(set(expected) - set(state_dict))
    if missing or unexpected:
        raise ValueError(f"not an HRNet checkpoint of this size: {len(missing)} missing keys (e.g. {missing[:3]}), "
                         f"{len(unexpected)} unexpected keys (e.g. {unexpected[:3]})")
    for key, tensor in state_dict.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise ValueError(f"HRNet checkpoint key {key} has shape {tuple(tensor.shape)}, "
                             f"the model expects {tuple(expected[key].shape)} (wrong width or joint count?)")
    model.load_state_dict(state_dict, strict=True)


def infer_width(state_dict: dict[str, torch.Tensor]) -> int:
    """HRNet width of an official-named state_dict: the channel count of its final layer's input."""
    return int(state_dict["final_layer.weight"].shape[1])


def load_checkpoint(path: str | Path) -> PoseHighResolutionNet:
    """Build HRNet of the right width and joint count from a checkpoint file; returns the model in eval mode.

    The file is read with ``torch.load(weights_only=True)``; mmpose files whose ``meta`` holds objects that
    this refuses are reported, never loaded unsafely.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"HRNet checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises UnpicklingError/RuntimeError with long messages
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"cannot read HRNet checkpoint {path} safely (weights_only=True): {first_line}") from error
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} does not hold a state_dict (got {type(checkpoint).__name__})")
    state_dict = official_state_dict(checkpoint)
    if "final_layer.weight" not in state_dict:
        raise ValueError(f"{path} is not an HRNet pose checkpoint (no final_layer / head.final_layer weights)")
    width = infer_width(state_dict)
    model = build(width, num_joints=int(state_dict["final_layer.weight"].shape[0]))
    load_weights(model, checkpoint)
    return model.eval()
