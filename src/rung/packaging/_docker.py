"""The bundle's ``Dockerfile`` and ``.dockerignore``: one image for every run.

Experiments and production runs use the same image: ``rung`` is the entry
point, the default command runs the bundled pipeline with its bundled
configuration, and an experiment only passes other arguments
(``run /opt/bundle -p C=0.3``). The bundle is copied whole, read-only, to
``/opt/bundle`` so ``rung run`` can check it against its content hash; runs
are recorded under ``/workspace`` (a volume, or a team store via ``RUNG_*``).
"""

from __future__ import annotations

import re
import sys

__all__ = [
    "BUNDLE_DIR",
    "DOCKERFILE_NAME",
    "DOCKERIGNORE_NAME",
    "default_base_image",
    "dockerfile",
    "dockerignore",
    "image_name",
]

DOCKERFILE_NAME = "Dockerfile"
DOCKERIGNORE_NAME = ".dockerignore"
BUNDLE_DIR = "/opt/bundle"
WORKSPACE_DIR = "/workspace"
_USER = "rung"
_UID = 10001


def image_name(name: str) -> str:
    """A valid Docker image name for a pipeline name (lowercase, ``[a-z0-9._-]``)."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("._-")
    return cleaned or "pipeline"


def default_base_image() -> str:
    """``python:X.Y-slim`` for this interpreter, the Python the lock was made on."""
    return f"python:{sys.version_info.major}.{sys.version_info.minor}-slim"


def dockerfile(*, name: str, base_image: str, lock: str, rung_wheel: str | None) -> str:
    """Render the Dockerfile.

    Args:
        name: the pipeline's name (for the comments' example commands).
        base_image: a Python image with pip, pinned by tag.
        lock: the lock file's name inside the bundle.
        rung_wheel: the bundled Rung wheel's path inside the bundle, if any.
    """
    name = image_name(name)
    copy_wheel = "COPY wheels/ ./wheels/\n" if rung_wheel else ""
    install_wheel = (
        f" \\\n    && pip install --no-cache-dir --no-deps {rung_wheel}"
        if rung_wheel
        else ""
    )
    return f"""\
# A Rung pipeline bundle: one image for experiments and production runs.
#   docker build -t {name} .
#   docker run {name}    (runs the bundled configuration)
#   docker run {name} run {BUNDLE_DIR} -p KEY=VALUE    (an experiment)
# Keep runs with a volume (-v rung-runs:{WORKSPACE_DIR}) or point RUNG_* at a
# team store (-e RUNG_METADATA_URL=... -e RUNG_ARTIFACT_URL=...).
FROM {base_image}

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --gid {_UID} {_USER} \\
    && useradd --create-home --no-log-init --uid {_UID} --gid {_UID} {_USER} \\
    && mkdir -p {WORKSPACE_DIR} \\
    && chown {_UID}:{_UID} {WORKSPACE_DIR}

WORKDIR {BUNDLE_DIR}
COPY {lock} ./
{copy_wheel}RUN pip install --no-cache-dir -r {lock}{install_wheel}
COPY . ./

# A non-root user, by number so any host can resolve it.
USER {_UID}:{_UID}
WORKDIR {WORKSPACE_DIR}
ENTRYPOINT ["rung"]
CMD ["run", "{BUNDLE_DIR}"]
"""


def dockerignore() -> str:
    """Render ``.dockerignore``: caches only, since every bundle file is hashed."""
    return (
        "# Every other file of the bundle goes into the image: `rung run` checks\n"
        "# them against the content hash in rung-bundle.json.\n"
        "**/__pycache__\n"
        "**/*.pyc\n"
        ".rung\n"
    )
