"""A lease held for as long as some work runs, renewed in the background."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from rung._internal.timeutil import now

if TYPE_CHECKING:
    from types import TracebackType

    from rung.workspace import Workspace

__all__ = ["HeldLease"]

_log = logging.getLogger("rung.automation")


class HeldLease:
    """Take a lease of the workspace's automation store and keep it renewed.

    Work that lasts longer than the lease's ``ttl`` stays exclusive: a thread
    renews it every third of the ``ttl``. If a renewal fails (the database
    was out of reach past the ``ttl`` and another holder took over),
    :attr:`lost` becomes True and the work should stop.

    Args:
        workspace: whose automation store keeps the lease.
        name: what is leased (``retune/<project>/<model>``).
        holder: who holds it.
        ttl: seconds a lease lasts without renewal: how long a killed
            holder blocks the next one.

    Example:
        >>> with HeldLease(ws, "retune/demo/m", "me", 60) as lease:  # doctest: +SKIP
        ...     print(lease.acquired)
        True
    """

    def __init__(self, workspace: Workspace, name: str, holder: str, ttl: float):
        self.workspace = workspace
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.acquired = False
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> HeldLease:
        store = self.workspace.triggers
        self.acquired = (
            store.acquire_lease(self.name, self.holder, self.ttl, now()) is not None
        )
        if self.acquired:
            self._thread = threading.Thread(
                target=self._renew, name=f"lease {self.name}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.acquired:
            self.workspace.triggers.release_lease(self.name, self.holder)

    def _renew(self) -> None:
        store = self.workspace.triggers
        while not self._stop.wait(self.ttl / 3):
            try:
                renewed = store.acquire_lease(self.name, self.holder, self.ttl, now())
            except Exception:  # a transient outage: try again next period
                _log.warning("Could not renew lease %s", self.name, exc_info=True)
                continue
            if renewed is None:
                self.lost = True
                return
