"""Per-step capture of printed output and of resource use (CPU, memory)."""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from rung._internal.process import current_pid

__all__ = ["Captured", "capture_step", "install_capture"]

MAX_LOG_CHARS = 256_000
_SAMPLE_SECONDS = 0.05
# The sampler thread outlives a step by this long, so that a run's steps,
# one after the other, do not start a thread each.
_LINGER_SECONDS = 1.0


@dataclass(slots=True)
class Captured:
    """What one step printed and used."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    peak_memory_bytes: int = 0

    def text(self, stream: str) -> str:
        """The captured text of ``stdout`` or ``stderr``, truncated when huge."""
        text = "".join(self.stdout if stream == "stdout" else self.stderr)
        if len(text) > MAX_LOG_CHARS:
            cut = len(text) - MAX_LOG_CHARS
            text = (
                f"[... {cut} earlier characters not kept ...]\n" + text[-MAX_LOG_CHARS:]
            )
        return text


_current: contextvars.ContextVar[Captured | None] = contextvars.ContextVar(
    "rung_captured", default=None
)


class _Tee(io.TextIOBase):
    """Writes to the real stream and to the capturing step's buffer, if any."""

    def __init__(self, original: TextIO, stream: str) -> None:
        self.original = original
        self.stream = stream

    def write(self, text: str) -> int:
        captured = _current.get()
        if captured is not None:
            (captured.stdout if self.stream == "stdout" else captured.stderr).append(
                text
            )
        return self.original.write(text)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return self.original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.original.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


_install_lock = threading.Lock()
_install_count = 0
_saved: tuple[TextIO, TextIO] | None = None


@contextmanager
def install_capture() -> Iterator[None]:
    """Route ``sys.stdout``/``sys.stderr`` through tees while a run executes."""
    global _install_count, _saved  # noqa: PLW0603 - process-wide stream swap
    with _install_lock:
        if _install_count == 0:
            _saved = (sys.stdout, sys.stderr)
            sys.stdout = _Tee(sys.stdout, "stdout")
            sys.stderr = _Tee(sys.stderr, "stderr")
        _install_count += 1
    try:
        yield
    finally:
        with _install_lock:
            _install_count -= 1
            if _install_count == 0 and _saved is not None:
                sys.stdout, sys.stderr = _saved
                _saved = None


class _MemorySampler:
    """Samples this process's RSS while steps run; each step keeps its peak."""

    def __init__(self) -> None:
        self._peaks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._process: Any = None
        # Linux: /proc/self/statm kept open and re-read (a few microseconds,
        # where psutil opens it for every call); reopened after a fork.
        self._statm: tuple[int, int] | None = None

    def rss(self) -> int:
        pid = current_pid()
        if self._statm is None or self._statm[0] != pid:
            if self._statm is not None:  # a forked child's inherited copy
                with contextlib.suppress(OSError):
                    os.close(self._statm[1])
            self._statm = _open_statm(pid)
        if self._statm is not None:
            try:
                resident = os.pread(self._statm[1], 128, 0).split()[1]
                return int(resident) * _PAGE_BYTES
            except (OSError, IndexError, ValueError):
                self._statm = None
        if self._process is None or self._process.pid != pid:
            import psutil

            self._process = psutil.Process()
        return int(self._process.memory_info().rss)

    def begin(self, token: int) -> None:
        with self._lock:
            self._peaks[token] = self.rss()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="rung-memory", daemon=True
                )
                self._thread.start()

    def end(self, token: int) -> int:
        last = self.rss()
        with self._lock:
            return max(self._peaks.pop(token, 0), last)

    def _loop(self) -> None:
        idle = 0.0
        while True:
            time.sleep(_SAMPLE_SECONDS)
            with self._lock:
                if not self._peaks:
                    idle += _SAMPLE_SECONDS
                    if idle >= _LINGER_SECONDS:
                        self._thread = None
                        return
                    continue
                idle = 0.0
                tokens = list(self._peaks)
            value = self.rss()
            with self._lock:
                for token in tokens:
                    if token in self._peaks and value > self._peaks[token]:
                        self._peaks[token] = value


def _open_statm(pid: int) -> tuple[int, int] | None:
    """(pid, descriptor) of this process's ``statm`` on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return pid, os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_sampler = _MemorySampler()


@contextmanager
def capture_step() -> Iterator[Captured]:
    """Capture prints, CPU time (this thread) and peak RSS of one step."""
    captured = Captured()
    token = _current.set(captured)
    key = id(captured)
    _sampler.begin(key)
    cpu_start = time.thread_time()
    try:
        yield captured
    finally:
        captured.cpu_seconds = time.thread_time() - cpu_start
        captured.peak_memory_bytes = _sampler.end(key)
        _current.reset(token)
