"""Helpers shared by the lifter tests: reading ../shared/fixtures and keeping torch to one thread."""
from __future__ import annotations

import pytest
import torch

from conftest import SHARED
from lifters.official import build

FIXTURES = SHARED / "fixtures"


def load_fixture(name: str) -> dict:
    """A lifter fixture; its notes hold a TorchVersion, which safe loading must be told about."""
    with torch.serialization.safe_globals([torch.torch_version.TorchVersion]):
        return torch.load(FIXTURES / name, map_location="cpu", weights_only=True)


def fixture_module(name: str, kind: str) -> tuple[dict, torch.nn.Module]:
    """(the fixture, the module of ``kind`` built from its config with its state_dict, in its dtype)."""
    fixture = load_fixture(name)
    module = build(kind, fixture["config"])
    module.load_state_dict(fixture["state_dict"], strict=True)
    return fixture, module.to(next(iter(fixture["state_dict"].values())).dtype)


@pytest.fixture(autouse=True)
def one_thread():
    """The machine's cores are shared: tests use one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
