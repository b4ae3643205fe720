"""``--ray [ADDRESS]``: the videos of a batch as Ray tasks, on a local Ray instance or an existing cluster.

Each task runs one video through ``app.pipeline.Pipeline`` on a Ray worker, with its own lifter (loaded from the
same ``--lifter`` spec), and writes into ``<output>/<name>/`` through the same ``OutputSet``: the output folder must
be one path that every node sees (a shared file system). A task never raises: a video that fails comes back as its
one ``error:`` line, as in the sequential batch, and the other videos go on. The driver prints each video's line
as it finishes, then ``progress: <done>/<total> videos``.

Every node needs this repository at the same path and the same Python environment (``requirements.txt`` and
``requirements-ray.txt``); the tasks find the repository through ``PYTHONPATH``, set in their runtime environment.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Callable

from app.pipeline import RunOptions

REPO = Path(__file__).resolve().parents[1]
CPUS_PER_VIDEO = 1  # Ray's share per task; a video's own stages overlap on threads within it (app.run_ahead)


def process_video(video: str, name: str, options: RunOptions, lifter_spec: str, device: str | None,
                  debug: bool) -> tuple[bool, str]:
    """One video on a Ray worker → (succeeded, its summary line or its one ``error:`` line)."""
    from app.cli import failure_line, print_warning
    from app.pipeline import Pipeline
    from lifters.api import load_lifter

    warnings.showwarning = print_warning
    try:
        result = Pipeline(load_lifter(lifter_spec, device), options).run(video, name)
    except Exception as error:  # one broken video must not stop the batch
        return False, failure_line(Path(video), error, debug)
    return True, result.summary()


def task_options(options: RunOptions) -> RunOptions:
    """The options a Ray task runs with: absolute paths (workers may start in another folder, or on another node),
    no progress bar, and BlazePose's landmark calls in the task's own process: a task asks Ray for
    ``CPUS_PER_VIDEO`` CPU, and a landmark worker process would be one more busy process beside it (the videos'
    tasks are what keeps the cores busy)."""
    return RunOptions(**{**vars(options), "output_dir": Path(options.output_dir).resolve(), "progress": False,
                         "on_progress": None, "landmark_process": False})


def run_on_ray(jobs: list[tuple[Path, str]], options: RunOptions, lifter_spec: str, device: str | None,
               address: str | None, debug: bool = False,
               report: Callable[[bool, str], None] | None = None) -> int:
    """Run ``jobs`` ((video, output folder name) pairs) as Ray tasks; returns how many failed.

    address: an existing cluster's address (``ray.init``'s: ``auto``, ``host:6379``, ``ray://host:10001``), or
    None for a local instance with this machine's CPUs. An already initialised Ray (a test's
    ``ray.init(num_cpus=2)``) is used as it is. report(succeeded, line) gets each video's line as it finishes
    (default: the summary to stdout, errors to stderr), then the driver prints the progress to stderr.
    """
    import ray

    report = report or _print_line
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}, include_dashboard=False,
                 logging_level="ERROR")
    try:
        task = ray.remote(num_cpus=CPUS_PER_VIDEO, max_retries=0)(process_video)
        options = task_options(options)
        pending = {task.remote(str(video.resolve()), name, options, lifter_spec, device, debug): video
                   for video, name in jobs}
        failures = done = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            video = pending.pop(ready[0])
            try:
                succeeded, line = ray.get(ready[0])
            except ray.exceptions.RayError as error:  # the worker died (killed, out of memory)
                succeeded, line = False, f"error: {video}: its Ray task failed ({type(error).__name__})"
            failures += not succeeded
            done += 1
            report(succeeded, line)
            print(f"progress: {done}/{len(jobs)} videos", file=sys.stderr, flush=True)
        return failures
    finally:
        if started_here:
            ray.shutdown()


def _print_line(succeeded: bool, line: str) -> None:
    print(line, file=sys.stdout if succeeded else sys.stderr, flush=True)
