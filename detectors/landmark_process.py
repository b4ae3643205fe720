"""BlazePose's landmark calls of one frame split between this process and a worker process, to use two cores.

MediaPipe's ``graph.process`` holds the GIL, so the landmark calls of several people run one after another on one
core however many threads call them. ``TwoProcessLandmarker`` has ``BlazePoseLandmarker``'s contract; with
``min_regions`` (default ``MIN_REGIONS``, 3) or more regions in a call it hands half of them (``worker_share``) to a
worker process that holds its own ``BlazePoseLandmarker`` (the same graph), runs the others here meanwhile, and
returns the results in region order. Each region's landmarks are a function of its crop alone (the graph keeps no
state between calls), so the results are the same bits as one process's.

The worker gets only each region's crop (``crop_bounds``), converted to RGB by this process straight into a memory
mapped file both processes share; the request itself (offsets, regions) and the results are small pickles on the
worker's stdin and stdout. Measured on the development machine (``benchmarks/landmark_process.py``, BENCHMARKS.md,
issue 14): a 1.5 MB crop pickled through the pipe cost the sender 0.17 ms of CPU time (0.38 ms a round trip),
written into the shared file 0.04 ms (0.06 ms), next to a landmark call of 12 ms. Writing into the file is the
BGR→RGB conversion the crop needs anyway; the pipe adds a copy through the kernel on each side. The file is an
unlinked temporary file (nothing is left behind, however the processes end) in the usual temporary folder, not
/dev/shm, which containers often limit to 64 MB; its size is reserved when it grows, so that a full disk is an
error there, not a crash on writing.

Life of the worker: started on the first call with ``MIN_REGIONS`` or more regions, it is used from the first call
after it has loaded its graph (this process does every region until then, so start-up does not hold anything up).
It ends on ``close()``, when the landmarker is garbage-collected or the interpreter exits (``weakref.finalize``), and
when this process dies in any way (its stdin then reaches end of file); an error inside a call ends it too. It ignores
Ctrl-C and SIGHUP, which reach the whole process group: this process decides when it ends. POSIX only (the file is
passed as an inherited descriptor).
"""
from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path

import cv2
import numpy as np

from detectors.blazepose_roi import (BlazePoseLandmarker, PersonLandmarks, PoseRegion, Silhouette, crop_bounds,
                                     paint_grey)

# Regions in a call from which half go to the worker. With two, the follower's detector thread already holds the
# second core between its runs: on the sample clip (two people) the whole process took 1.14x as long with the
# worker (median of 3 on a quiet machine, BENCHMARKS.md issue 14); vtest.avi's crowd (5.6 a frame) gains.
MIN_REGIONS = 3
STOP_SECONDS = 5.0  # how long close() waits for the worker to finish its call before it is killed
_REPOSITORY = Path(__file__).resolve().parents[1]


def worker_share(areas: list[int]) -> list[bool]:
    """Which of a call's crops (pixel areas) go to the worker: every other one in order of size, the largest first,
    so the worker gets half of them (one more when odd: this process also writes the crops and runs the other
    threads). A landmark call costs about the same whatever its crop's size (12 ms from 20 thousand to 1.8
    million pixels on the development machine, BENCHMARKS.md, issue 14), so halving the count balances the work;
    alternating by size also evens the copying."""
    order = sorted(range(len(areas)), key=lambda index: -areas[index])
    sent = [False] * len(areas)
    for index in order[::2]:
        sent[index] = True
    return sent


class TwoProcessLandmarker:
    """(frame BGR uint8 (H, W, 3), regions) → per region ``PersonLandmarks``, or None where the model finds nobody;
    as ``BlazePoseLandmarker(min_presence)``, with the regions of one call run on two processes (see above). Close
    it (or use ``with``) when done; it can be called again after ``close()`` (a new worker starts)."""

    name = BlazePoseLandmarker.name

    def __init__(self, min_presence: float = 0.5, min_regions: int | None = None):
        self.min_presence = min_presence
        self.min_regions = MIN_REGIONS if min_regions is None else min_regions
        self._local = BlazePoseLandmarker(min_presence)
        self._worker: subprocess.Popen | None = None
        self._ready = False
        self._shared_file = None  # the crops' file, mapped as self._shared
        self._shared: mmap.mmap | None = None
        self._finalizer = None
        self.worker_regions = 0  # regions whose landmarks the worker made

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while it runs (tests look at it)."""
        return None if self._worker is None else self._worker.pid

    def __call__(self, frame_bgr: np.ndarray, regions: list[PoseRegion],
                 hidden: list[list[Silhouette]] | None = None,
                 segment: list[bool] | None = None) -> list[PersonLandmarks | None]:
        if len(regions) >= self.min_regions:
            self.start_worker()
        if len(regions) < self.min_regions or not self._worker_ready():
            return self._local(frame_bgr, regions, hidden, segment)
        hidden = hidden or [[] for _ in regions]
        segment = segment or [False] * len(regions)
        bounds = [crop_bounds(region, frame_bgr.shape) for region in regions]
        inside = [index for index, (low, high) in enumerate(bounds) if np.all(high - low >= 2)]
        sent = worker_share([int(np.prod(bounds[index][1] - bounds[index][0])) for index in inside])
        to_worker = [index for index, send in zip(inside, sent) if send]
        here = [index for index, send in zip(inside, sent) if not send]
        results: list[PersonLandmarks | None] = [None] * len(regions)
        try:
            self._send(frame_bgr, [(regions[index], *bounds[index], hidden[index], segment[index])
                                   for index in to_worker])
            for index in here:
                low, high = bounds[index]
                crop = cv2.cvtColor(frame_bgr[low[1]:high[1], low[0]:high[0]], cv2.COLOR_BGR2RGB)
                paint_grey(crop, low, hidden[index])
                results[index] = self._local.on_crop(crop, regions[index], low, segment[index])
            for index, landmarks in zip(to_worker, self._receive()):
                results[index] = landmarks
            self.worker_regions += len(to_worker)
        except BaseException:
            self.close()  # the worker may be mid-call: a later call starts a new one
            raise
        return results

    def start_worker(self, timeout: float | None = None) -> None:
        """Start the worker unless it runs; with ``timeout`` (s), wait until it has loaded its graph (a
        RuntimeError if it has not by then). Calls start it themselves when they have ``min_regions`` or more."""
        if self._worker is None:
            self._start_process()
        if timeout is not None and not self._ready:
            if not select.select([self._worker.stdout], [], [], timeout)[0] or not self._worker_ready():
                self.close()
                raise RuntimeError(f"BlazePose's landmark worker process was not ready within {timeout} s")

    def _start_process(self) -> None:
        self._shared_file = tempfile.TemporaryFile()
        environment = {**os.environ,
                       "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPOSITORY), os.environ.get("PYTHONPATH")]))}
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "detectors.landmark_process", str(self._shared_file.fileno()),
             repr(self.min_presence)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=[self._shared_file.fileno()], env=environment)
        self._ready = False
        self._finalizer = weakref.finalize(self, _stop, self._worker, self._shared_file)

    def _worker_ready(self) -> bool:
        """Whether the worker has loaded its graph (it says so once, on its stdout); never waits."""
        if not self._ready and select.select([self._worker.stdout], [], [], 0)[0]:
            try:
                self._ready = self._read() == "ready"
            except RuntimeError:
                self.close()
                raise
        return self._ready

    def _send(self, frame_bgr: np.ndarray,
              crops: list[tuple[PoseRegion, np.ndarray, np.ndarray, list[Silhouette], bool]]) -> None:
        """Write the crops (region, low, high, silhouettes to hide, segment) into the shared file, RGB and painted,
        one after another, and ask for them."""
        sizes = [int(np.prod(high - low)) * 3 for _, low, high, _, _ in crops]
        if self._shared is None or sum(sizes) > len(self._shared):
            self._map(max(sum(sizes), 2 * (0 if self._shared is None else len(self._shared))))
        request, offset = [], 0
        for (region, low, high, hidden, segment), size in zip(crops, sizes):
            shape = (int(high[1] - low[1]), int(high[0] - low[0]), 3)
            target = np.ndarray(shape, np.uint8, self._shared, offset)
            cv2.cvtColor(frame_bgr[low[1]:high[1], low[0]:high[0]], cv2.COLOR_BGR2RGB, dst=target)
            paint_grey(target, low, hidden)
            request.append((offset, shape, region, low, segment))
            offset += size
        pickle.dump((len(self._shared), request), self._worker.stdin)
        self._worker.stdin.flush()

    def _map(self, size: int) -> None:
        if self._shared is not None:
            self._shared.close()
        os.ftruncate(self._shared_file.fileno(), size)
        if hasattr(os, "posix_fallocate"):  # Linux; elsewhere a full disk shows when the crops are written
            os.posix_fallocate(self._shared_file.fileno(), 0, size)
        self._shared = mmap.mmap(self._shared_file.fileno(), size)

    def _receive(self) -> list[PersonLandmarks | None]:
        reply = self._read()
        if isinstance(reply, BaseException):
            raise RuntimeError(f"BlazePose's landmark worker process failed: {reply!r}") from reply
        return reply

    def _read(self):
        try:
            return pickle.load(self._worker.stdout)
        except EOFError:
            raise RuntimeError(f"BlazePose's landmark worker process ended unexpectedly (exit status "
                               f"{self._worker.wait()})") from None

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # stops the worker and closes the file, once
            self._finalizer = self._worker = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        self._shared_file = None
        self._local.close()

    def __enter__(self) -> "TwoProcessLandmarker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _stop(worker: subprocess.Popen, shared_file) -> None:
    """End the worker: end of file on its stdin makes it return; killed if it does not within STOP_SECONDS."""
    try:
        worker.stdin.close()
    except OSError:  # it died with a request unread
        pass
    try:
        worker.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    worker.stdout.close()
    shared_file.close()


def serve(shared_fd: int, min_presence: float) -> None:
    """The worker's loop: requests (file size, [(offset, shape, region, low, segment)]) on stdin, results on
    stdout, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    # Nothing else may write into the replies; MediaPipe's C++ parts log on stdout too (its Python errors go to
    # stderr).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    requests = sys.stdin.buffer
    landmarker, shared = BlazePoseLandmarker(min_presence), None
    landmarker.start()
    pickle.dump("ready", replies)
    replies.flush()
    while True:
        try:
            size, crops = pickle.load(requests)
        except EOFError:
            break
        try:
            if shared is None or len(shared) != size:
                if shared is not None:
                    shared.close()
                shared = mmap.mmap(shared_fd, size, access=mmap.ACCESS_READ)
            reply = [landmarker.on_crop(np.ndarray(shape, np.uint8, shared, offset), region, low, segment)
                     for offset, shape, region, low, segment in crops]
        except Exception as error:  # sent back, raised in the caller
            reply = error
        pickle.dump(reply, replies)
        replies.flush()
    landmarker.close()


if __name__ == "__main__":  # the worker, as started by TwoProcessLandmarker: shared file descriptor, min_presence
    serve(int(sys.argv[1]), float(sys.argv[2]))
