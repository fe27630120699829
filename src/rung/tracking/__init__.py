"""Tracking: runs, parameters, metrics, tags, and run comparison.

Works inside pipeline steps, inside ``with rung.start_run():`` blocks, and in
plain notebooks or scripts (an ad-hoc run opens on the first ``log_*`` call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rung._internal.lazy import lazy_exports as _lazy_exports

__all__ = [
    "ActiveRun",
    "CodeVersion",
    "MetricBuffer",
    "Run",
    "RunComparison",
    "RunScope",
    "begin_run",
    "buffer_for",
    "code_version",
    "compare_runs",
    "current_scope",
    "end_run",
    "flush",
    "host_name",
    "installed_packages",
    "is_alive",
    "known_provenance",
    "log_metric",
    "log_metrics",
    "log_params",
    "process_alive",
    "reap_stale_runs",
    "scoped",
    "set_tags",
    "start_run",
]

# Each name's submodule is imported on first use: a command that needs one
# function does not pay for the whole package.
__getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "rung.tracking._api": (
            "ActiveRun",
            "flush",
            "log_metric",
            "log_metrics",
            "log_params",
            "set_tags",
            "start_run",
        ),
        "rung.tracking._buffer": ("MetricBuffer", "buffer_for"),
        "rung.tracking._compare": ("RunComparison", "compare_runs"),
        "rung.tracking._context": ("RunScope", "current_scope", "scoped"),
        "rung.tracking._lifecycle": (
            "begin_run",
            "end_run",
            "is_alive",
            "process_alive",
            "reap_stale_runs",
        ),
        "rung.tracking._provenance": (
            "CodeVersion",
            "code_version",
            "host_name",
            "installed_packages",
            "known_provenance",
        ),
        "rung.tracking._run": ("Run",),
    },
)

if TYPE_CHECKING:
    from rung.tracking._api import (
        ActiveRun,
        flush,
        log_metric,
        log_metrics,
        log_params,
        set_tags,
        start_run,
    )
    from rung.tracking._buffer import MetricBuffer, buffer_for
    from rung.tracking._compare import RunComparison, compare_runs
    from rung.tracking._context import RunScope, current_scope, scoped
    from rung.tracking._lifecycle import (
        begin_run,
        end_run,
        is_alive,
        process_alive,
        reap_stale_runs,
    )
    from rung.tracking._provenance import (
        CodeVersion,
        code_version,
        host_name,
        installed_packages,
        known_provenance,
    )
    from rung.tracking._run import Run
