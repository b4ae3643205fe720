"""Headless Chromium for the viewer and web page checks: Debian's chromium driven by playwright (which never
downloads a browser of its own here: it is given the system one)."""
from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import numpy as np

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No GPU: WebGL runs on SwiftShader, which Chromium asks to be allowed explicitly. No network, no background
# services; playwright gives each launch a new, empty user data dir.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--autoplay-policy=no-user-gesture-required"]


class BrowserUnavailable(RuntimeError):
    """Chromium or playwright is missing; the message says which and how to install it."""


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 800):
    """Yields (page, problems): a playwright page, and a list that collects the console's errors and uncaught
    page errors as text."""
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise BrowserUnavailable(f"playwright is not installed (pip install -r requirements-test.txt): {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            problems: list[str] = []
            page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            yield page, problems
        finally:
            browser.close()


def skeleton_pixels(png: bytes) -> dict[str, int]:
    """Pixels of a screenshot in the skeleton's colours: left limbs blue, right limbs red, trunk and joints green
    (person 0); the grid and background are grey, so a picture without a skeleton counts none."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return {"left": int(((blue > 150) & (blue - red > 80)).sum()),
            "right": int(((red > 150) & (red - green > 80) & (red - blue > 80)).sum()),
            "person": int(((green > 130) & (green - red > 60) & (green - blue > 60)).sum())}


def changed_fraction(first: bytes, second: bytes) -> float:
    """The fraction of pixels that differ between two screenshots of the same size."""
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int) for png in (first, second))
    return float((np.abs(a - b).sum(-1) > 30).mean())
