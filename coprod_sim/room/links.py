"""The room's addresses and tokens, read from the environment the server sets.

The server (:mod:`coprod_sim.serve`) puts its address and the two tokens in
its own environment and its kernels'; the room's handlers and the trainer's
panel read them here. Standard library only, so the room never imports the
server (no import circle).

The trainer's token opens everything (dashboards, kernels, files); the join
token opens only the trainees' join page, its two files and its answer API.
"""

from __future__ import annotations

import os

ENV_TOKEN = "COPROD_ROOM_TOKEN"
ENV_JOIN_TOKEN = "COPROD_ROOM_JOIN_TOKEN"
ENV_ROOM_URL = "COPROD_ROOM_URL"


def _link(path: str, token_env: str) -> str | None:
    base, token = os.environ.get(ENV_ROOM_URL), os.environ.get(token_env)
    if not base or not token:
        return None
    return f"{base.rstrip('/')}/{path.lstrip('/')}?token={token}"


def room_link(path: str = "") -> str | None:
    """The address trainees open (``path`` on this server, with the *join* token in it).

    Read from the environment the server gives itself and its kernels, so a
    dashboard kernel can show it; None when the server is not in room mode.
    The join token opens the join page only, never a dashboard.
    """
    return _link(path, ENV_JOIN_TOKEN)


def trainer_link(path: str = "") -> str | None:
    """The trainer's address (``path`` with the trainer's token, which opens everything).

    None when the server is not in room mode.
    """
    return _link(path, ENV_TOKEN)


__all__ = ["ENV_JOIN_TOKEN", "ENV_ROOM_URL", "ENV_TOKEN", "room_link", "trainer_link"]
