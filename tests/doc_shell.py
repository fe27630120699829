"""Run a guide's ``$ command`` lines as a shell would, without paying imports.

A guide's session is a dozen ``rung ...`` and ``python FILE ...`` lines, and
each new interpreter spends most of its time importing Rung, pandas,
scikit-learn, skops and SciPy before doing a second of work. :class:`Shell`
starts one helper process that imports them once, then runs each such line
in a fork of it: still a process of its own (its own globals, working
folder, environment, exit status, atexit hooks, output), minus the imports.
Every other line (pipes, substitutions, ``curl``, ``git``, ``cd``...) runs
under ``bash -c`` as before.
"""

from __future__ import annotations

import glob
import json
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

# Imported once by the helper; what the guides' commands and scripts import.
PRELOAD = (
    "rung.cli",
    "rung.client",
    "rung.registry",
    "rung.monitoring",
    "rung.serving",
    "pydantic",
    "pandas",
    "pyarrow.parquet",
    "sqlalchemy",
    "scipy.stats",
    "sklearn.linear_model",
    "skops.io",
)

# Anything a shell would treat specially outside quotes sends the line to bash.
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\\n]")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")

_HELPER = r"""
import atexit, gc, json, os, runpy, sys, threading, traceback

for _name in sys.argv[1:]:
    __import__(_name)
# Children would otherwise copy every page the collector touches.
gc.freeze()


def _exit(code):
    # What the interpreter does on exit, minus tearing down every module
    # (which writes to, and so copies, the whole inherited heap).
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        getattr(threading, "_shutdown", lambda: None)()  # joins non-daemon threads
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
        status = status or 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)


def _child(job):
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, job["out"]), (2, job["err"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    sys.stdin = open(os.devnull)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    sys.argv = list(job["argv"])
    code = 0
    try:
        if job["kind"] == "rung":
            # As the console script: its folder first on sys.path, not cwd.
            sys.path[0] = os.path.dirname(sys.executable)
            from rung.cli import main

            main()
        else:
            sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
            runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        traceback.print_exc()
        code = 1
    _exit(code)


for _line in sys.stdin:
    _job = json.loads(_line)
    _pid = os.fork()
    if _pid == 0:
        _child(_job)
    print(json.dumps({"pid": _pid}), flush=True)
    _, _status = os.waitpid(_pid, 0)
    print(json.dumps({"returncode": os.waitstatus_to_exitcode(_status)}), flush=True)
"""


class Shell:
    """Runs command lines like ``bash -c LINE`` in a given folder.

    Args:
        env: the environment of every command (``VAR=value`` prefixes of a
            line are added for that line).
        preload: modules the helper imports once.

    Example:
        >>> with Shell(session_env()) as shell:  # doctest: +SKIP
        ...     done = shell.run("rung init", tmp_path)
    """

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = PRELOAD) -> None:
        self.env = env
        self._helper = subprocess.Popen(
            [sys.executable, "-c", _HELPER, *preload],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._scratch = tempfile.TemporaryDirectory(prefix="rung-doc-shell-")
        self._jobs = 0

    def run(
        self, line: str, cwd: Path, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run ``line`` in ``cwd``; return its status and output, like bash."""
        job = self._job(line, cwd)
        if job is None:
            return subprocess.run(
                ["bash", "-c", line],
                cwd=cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        returncode = self._fork(job, line, timeout)
        return subprocess.CompletedProcess(
            line,
            returncode,
            Path(job["out"]).read_text(errors="replace"),
            Path(job["err"]).read_text(errors="replace"),
        )

    def close(self) -> None:
        """Stop the helper and remove its scratch files."""
        if self._helper.poll() is None:
            assert self._helper.stdin is not None
            self._helper.stdin.close()
            try:
                self._helper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._helper.kill()
                self._helper.wait()
        if self._helper.stdout is not None:
            self._helper.stdout.close()
        self._scratch.cleanup()

    def __enter__(self) -> Shell:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _job(self, line: str, cwd: Path) -> dict[str, Any] | None:
        """The fork job for a plain ``rung``/``python FILE`` line, else None."""
        if _SHELL_SYNTAX.search(line):
            return None
        words = shlex.split(line)
        env = dict(self.env)
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        if not words or any(glob.glob(w, root_dir=cwd) for w in words if _globs(w)):
            return None
        if words[0] == "rung":
            kind, argv = "rung", ["rung", *words[1:]]
        elif words[0] == "python" and len(words) > 1 and words[1].endswith(".py"):
            kind, argv = "python", words[1:]
        else:
            return None
        self._jobs += 1
        n = self._jobs
        return {
            "kind": kind,
            "argv": argv,
            "cwd": str(cwd),
            "env": env,
            "out": f"{self._scratch.name}/{n}.out",
            "err": f"{self._scratch.name}/{n}.err",
        }

    def _fork(self, job: dict[str, Any], line: str, timeout: float) -> int:
        helper = self._helper
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(json.dumps(job) + "\n")
        helper.stdin.flush()
        pid = int(json.loads(self._answer(timeout, line))["pid"])
        try:
            return int(json.loads(self._answer(timeout, line))["returncode"])
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            self._answer(30, line)
            raise

    def _answer(self, timeout: float, line: str) -> str:
        assert self._helper.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._helper.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise subprocess.TimeoutExpired(line, timeout)
        answer = self._helper.stdout.readline()
        if not answer:
            raise RuntimeError(f"the doc shell helper died running {line!r}")
        return answer


def _globs(word: str) -> bool:
    return any(char in word for char in "*?[")
