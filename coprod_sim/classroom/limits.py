"""A trainee's kernel limit: at most ``max_kernels`` notebooks running at once.

Set as the server's kernel manager by the class spawner
(``--ServerApp.kernel_manager_class=coprod_sim.classroom.limits.LimitedKernelManager``).
A trainee opening one notebook too many is told, in plain words, to close one.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

TOO_MANY = ("You have {n} notebooks running, the most this class allows. Close one "
            "(File, then Close and Shut Down Notebook) and try again.")


class LimitedKernelManager(AsyncMappingKernelManager):
    """A kernel manager that refuses to start more than ``max_kernels`` kernels."""

    max_kernels = Integer(2, help="Most kernels running at once (0: no limit).").tag(config=True)

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None,
                           **kwargs: Any) -> str:
        """Start a kernel unless the trainee already runs ``max_kernels`` of them."""
        running = len(self.list_kernel_ids())
        if kernel_id is None and self.max_kernels and running >= self.max_kernels:
            raise web.HTTPError(403, TOO_MANY.format(n=running))
        return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
