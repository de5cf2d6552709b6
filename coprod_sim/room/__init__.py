"""The room: class-wide predictions from trainees' own phones and laptops.

``./kit dashboard --room`` serves, beside the trainer dashboard, a light join
page (plain HTML and a little JavaScript, no Python process per device). The
trainer's dashboard shows a join code; trainees open it, answer the current
question, and the trainer sees the room's answers live, then reveals the
model's result beside them.

* :mod:`~coprod_sim.room.store`: the session's answers in an SQLite file;
* :mod:`~coprod_sim.room.handlers`: the join page and its API, tornado handlers
  the dashboard server adds (``coprod_sim.serve.extra_handlers``);
* :mod:`~coprod_sim.room.questions`: questions from the curriculum's moments and
  from the trainer's "predict, then reveal";
* :mod:`~coprod_sim.room.widget`: the trainer's room panel;
* :mod:`~coprod_sim.room.qr`: the join code (a QR code of the join address);
* :mod:`~coprod_sim.room.cli`: ``coprod-sim room export``.

The store and the handlers need only the standard library and tornado; the
questions and the panel run in the trainer's dashboard kernel, which has the
model. The room uses the curriculum, the widgets' helpers and the ``explain``
module; the model never imports it, and the trainer dashboard reaches it only
through :func:`attach_room` (imported when the dashboard is built).
"""

from __future__ import annotations

import os
from typing import Any


def attach_room(trainer: Any) -> Any:
    """Add the room panel to a trainer dashboard served with ``--room`` (else None).

    Cheap when there is no room: nothing of the room is imported then.
    """
    env = os.environ
    if not (env.get("COPROD_ROOM_SESSION")
            or (env.get("COPROD_ROOM_TOKEN") and env.get("COPROD_ROOM_URL"))):
        return None
    from coprod_sim.room.widget import attach_room as attach

    return attach(trainer)
