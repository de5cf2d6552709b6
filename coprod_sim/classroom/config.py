"""The class's JupyterHub configuration, in one function: :func:`configure`.

``coprod-sim class`` writes ``hub/jupyterhub_config.py`` in the class folder,
which only calls :func:`configure` with the settings kept beside it in
``hub/settings.json`` (no secrets: the codes stay in ``class.json``). Everything
the hub starts (the proxy, the trainer's view, the idle culler, each trainee's
server and kernel) is started through :mod:`coprod_sim.classroom.guard` or the
spawner's own guard, so that none of it outlives the hub.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coprod_sim.classroom import guard
from coprod_sim.classroom.codes import TRAINER, load_or_create

#: Every program the hub starts goes through the guard, run as a script (it imports
#: only the standard library, so it adds no start-up time).
GUARD = [sys.executable, guard.__file__]


@dataclass
class Settings:
    """What ``coprod-sim class`` chose; kept in ``hub/settings.json``.

    Attributes:
        ip: Address the hub listens on (``127.0.0.1`` unless ``--room``).
        port: The hub's port (the address trainees open).
        address: The address printed and shown to the room.
        hub_port: The hub's own port, for the proxy and services (on 127.0.0.1).
        proxy_api_port: The proxy's control port (on 127.0.0.1).
        service_port: The trainer's view's port (on 127.0.0.1).
        proxy: The ``configurable-http-proxy`` program.
        max_trainees: Most trainees working at once.
        mem_limit: Memory ceiling of each trainee's server and of each of its kernels (bytes).
        max_kernels: Most kernels (open notebooks) per trainee.
        idle_minutes: A trainee's server idle this long is stopped (work is kept).
        sandbox: Fence trainees' servers in with Landlock where available.
    """

    ip: str = "127.0.0.1"
    port: int = 8000
    address: str = ""
    hub_port: int = 0
    proxy_api_port: int = 0
    service_port: int = 0
    proxy: str = "configurable-http-proxy"
    max_trainees: int = 40
    mem_limit: int = 2 * 1024 ** 3
    max_kernels: int = 2
    idle_minutes: int = 30
    sandbox: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        """Write the settings as JSON."""
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read the settings written by :meth:`save`."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


CONFIG_PY = '''# Written by coprod-sim class: the settings are in settings.json beside this file.
from pathlib import Path

from coprod_sim.classroom.config import configure

configure(c, Path(__file__).resolve().parent.parent)  # noqa: F821 - c is the hub's config
'''


def default_url(handler: Any) -> str | None:
    """Where a user lands after logging in: the trainer's view for the trainer."""
    user = handler.current_user
    if user is not None and user.name == TRAINER:
        return handler.base_url + "services/class/"
    return None


def configure(c: Any, folder: Path) -> None:
    """Set the hub's configuration ``c`` for the class kept in ``folder``."""
    folder = Path(folder).resolve()
    info = load_or_create(folder)
    s = Settings.load(info.hub_dir / "settings.json")
    hub = info.hub_dir
    here = Path(__file__).resolve().parent

    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}/"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s.hub_port
    c.JupyterHub.db_url = f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(hub / "jupyterhub.pid")
    c.JupyterHub.template_paths = [str(here / "templates")]
    c.JupyterHub.default_url = default_url
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.shutdown_on_logout = False
    c.JupyterHub.log_level = "INFO"
    # no token or code ever in a URL of the hub's log lines (tokens are sent in headers)
    c.JupyterHub.tornado_settings = {"cookie_options": {"SameSite": "Lax"}}

    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [*GUARD, s.proxy]
    c.ConfigurableHTTPProxy.pid_file = str(hub / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True

    c.JupyterHub.authenticator_class = "coprod_sim.classroom.auth.ClassAuthenticator"
    c.ClassAuthenticator.class_code = info.class_code
    c.ClassAuthenticator.trainer_code = info.trainer_code
    c.ClassAuthenticator.max_trainees = s.max_trainees
    c.ClassAuthenticator.allow_all = True

    c.JupyterHub.spawner_class = "coprod_sim.classroom.spawner.ClassSpawner"
    c.ClassSpawner.class_folder = str(folder)
    c.ClassSpawner.mem_limit = s.mem_limit
    c.ClassSpawner.max_kernels = s.max_kernels
    c.ClassSpawner.sandbox = s.sandbox
    c.ClassSpawner.start_timeout = 120
    c.ClassSpawner.http_timeout = 120
    c.ClassSpawner.bets_url = (f"http://127.0.0.1:{s.service_port}/services/class/api/bet")
    c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "LANGUAGE", "TZ", "SYSTEMROOT"]

    c.JupyterHub.services = [
        {"name": "class", "url": f"http://127.0.0.1:{s.service_port}",
         "command": [*GUARD, sys.executable, "-m", "coprod_sim.classroom.service"],
         "environment": {"COPROD_CLASS_FOLDER": str(folder),
                         "COPROD_CLASS_ADDRESS": s.address},
         "oauth_no_confirm": True, "display": True, "info": {}},
        {"name": "idle-culler",
         "command": [*GUARD, sys.executable, "-m", "jupyterhub_idle_culler",
                     f"--timeout={s.idle_minutes * 60}", "--cull-every=60"]},
    ]
    c.JupyterHub.load_roles = [
        {"name": "class-trainer", "users": [TRAINER],
         "scopes": ["self", "access:services!service=class"]},
        {"name": "class-service", "services": ["class"],
         "scopes": ["list:users", "read:users:name", "read:users:activity", "read:servers"]},
        {"name": "idle-culler", "services": ["idle-culler"],
         "scopes": ["list:users", "read:users:name", "read:users:activity", "read:servers",
                    "delete:servers"]},
    ]
