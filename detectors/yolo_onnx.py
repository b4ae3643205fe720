"""A YOLO ``.pt`` file's ONNX export, made once and cached, and the ONNX Runtime session that runs it on the CPU.

The export is ultralytics' own (``YOLO.export(format="onnx", dynamic=True)``: any batch size and input size, the
model's task, classes and keypoint shape in its metadata), so ultralytics' pre- and post-processing run on it
unchanged. It lives in the project's cache folder (``weights.registry.cache_dir()``) under a name made of the .pt's
stem, the first 16 hex digits of its sha256 and the versions of ultralytics, onnx and torch that wrote it, so another
.pt or another exporter never reuses it. It is written atomically: the exporter works in a temporary folder inside
the cache and the finished file is renamed into place, so no crash leaves a partial file under the final name. A
cached file that ONNX Runtime cannot load (damaged on disk, or written by hand) is exported again, with a warning.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from importlib.metadata import version
from pathlib import Path

from detectors.yolo import import_ultralytics_yolo
from weights.registry import cache_dir, file_sha256

SHA256_DIGITS = 16


def export_path(weights: Path) -> Path:
    """Where the ONNX export of the YOLO ``weights`` (.pt) is cached: named by its content and the exporter's
    versions."""
    exporter = "-".join(f"{package}{version(package)}" for package in ("ultralytics", "onnx", "torch"))
    return cache_dir() / f"{weights.stem}.{file_sha256(weights)[:SHA256_DIGITS]}.{exporter}.onnx"


def export_onnx(weights: Path, target: Path) -> None:
    """Write ultralytics' ONNX export of the YOLO ``weights`` (.pt, its pickle already checked by
    ``weights.safe_pickle``) to ``target``, atomically. The exporter writes its file next to its input, and the .pt
    may lie in a read-only folder (a pip package), so it exports a link to (or a copy of) the .pt in a temporary
    folder beside ``target``; the temporary folder goes whatever happens."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.stem}.") as folder:
        source = Path(folder) / weights.name
        try:
            os.link(weights, source)
        except OSError:  # another file system, or links to files of other users refused
            shutil.copyfile(weights, source)
        exported = import_ultralytics_yolo()(str(source)).export(format="onnx", dynamic=True, simplify=False,
                                                                 device="cpu", verbose=False)
        os.replace(exported, target)


def open_session(path: Path, threads: int | None):
    """An ONNX Runtime ``InferenceSession`` of ``path`` on the CPU, with ``threads`` intra- and inter-op threads
    (None: ONNX Runtime's default, a thread per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = options.inter_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cached_onnx_session(weights: Path, threads: int | None):
    """(the cached ONNX export of the YOLO ``weights`` .pt, an ONNX Runtime session of it with ``threads``), the
    export made first when the cache has none, or none that ONNX Runtime can load."""
    path = export_path(weights)
    if path.is_file():
        try:
            return path, open_session(path, threads)
        except Exception as error:  # ONNX Runtime's load errors (InvalidProtobuf, InvalidArgument, ...) share no base
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            warnings.warn(f"ONNX Runtime cannot load the cached {path} ({reason}); exporting {weights.name} again")
    export_onnx(weights, path)
    return path, open_session(path, threads)
