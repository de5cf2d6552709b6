"""The class's spawner: each trainee's JupyterLab as a child process, fenced in.

:class:`ClassSpawner` builds on JupyterHub's ``SimpleLocalProcessSpawner`` (one
system user for everyone, as on a trainer's laptop) and adds what a class needs:

* each trainee's folder is ``trainees/NAME`` in the class folder, made or
  updated with :func:`coprod_sim.workspace.prepare` (the same copies of the
  notebooks and exercises as ``coprod-sim start``, ``my_work/``, no solutions),
  and JupyterLab opens at notebook 00;
* the server and its kernels are fenced into that folder with Landlock and
  given a memory ceiling (see :mod:`coprod_sim.classroom.sandbox`);
* at most ``max_kernels`` kernels per trainee (see :mod:`coprod_sim.classroom.limits`),
  talking to their server over Unix sockets in the trainee's folder (no TCP ports);
* the server (and, through the kernel command, each kernel) dies with its parent,
  so a killed hub leaves nothing running (see :mod:`coprod_sim.classroom.guard`);
* the environment tells the trainee's kernels where to send their bets
  (:mod:`coprod_sim.classroom.report`); the trainee's identity comes from the
  server's own hub token, never from anything the trainee types.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, Integer, Unicode, default

from coprod_sim.classroom import guard, sandbox
from coprod_sim.classroom.codes import TRAINER
from coprod_sim.classroom.report import BETS_URL_ENV
from coprod_sim.workspace import FIRST_NOTEBOOK, LAB_SETTINGS, prepare

#: Threads for numerical libraries in a trainee's kernel (a class shares the machine).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS")


def kernel_spec(folder: Path) -> Path:
    """Write the class's Python kernel (started through the guard); return its data folder.

    The folder (``share/jupyter`` in the class folder) is put first on the trainee
    servers' ``JUPYTER_PATH``, so their notebooks' ``python3`` kernel is this one.
    """
    data = folder / "share" / "jupyter"
    spec = data / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, guard.__file__, sys.executable, "-m", "ipykernel_launcher",
            "-f", "{connection_file}"]
    text = json.dumps({"argv": argv, "display_name": "Python 3 (ipykernel)",
                       "language": "python", "metadata": {"debugger": True}}, indent=1)
    target = spec / "kernel.json"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return data


class ClassSpawner(SimpleLocalProcessSpawner):
    """One trainee's JupyterLab, in their own fenced folder (see the module's notes)."""

    class_folder = Unicode("", help="The class folder (trainees/NAME inside it).").tag(
        config=True)
    max_kernels = Integer(2, help="Most kernels (open notebooks) per trainee.").tag(config=True)
    sandbox = Bool(True, help="Fence each server into its folder with Landlock, where the "
                              "system has it.").tag(config=True)
    bets_url = Unicode("", help="Where a trainee's kernel sends bets (the class service).").tag(
        config=True)

    @default("home_dir")
    def _default_home_dir(self) -> str:
        base = Path(self.class_folder)
        if self.user.name == TRAINER:
            return str(base / TRAINER)
        return str(base / "trainees" / self.user.name)

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_default_url(self) -> str:
        if self.user.name == TRAINER:
            return "/voila/render/dashboards/trainer.ipynb"
        return f"/lab/tree/{FIRST_NOTEBOOK}"

    def get_args(self) -> list[str]:
        """JupyterLab's settings: the folder's own settings, no news, the kernel limit."""
        home = Path(self.home_dir)
        args = super().get_args()
        args += [f"--ServerApp.root_dir={home}",
                 f"--LabApp.user_settings_dir={home / LAB_SETTINGS}",
                 f"--LabApp.workspaces_dir={home / '.jupyter' / 'lab' / 'workspaces'}",
                 "--LabApp.news_url=None", "--LabApp.custom_css=True",
                 "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements."
                 "NeverCheckForUpdate",
                 "--ServerApp.kernel_manager_class="
                 "coprod_sim.classroom.limits.LimitedKernelManager",
                 f"--LimitedKernelManager.max_kernels={self.max_kernels}",
                 # kernels talk to their server over Unix sockets in the trainee's own
                 # folder: no TCP ports to race for when a class starts 30 kernels at once
                 "--KernelManager.transport=ipc", f"--KernelManager.ip={home / '.tmp' / 'k'}",
                 "--MappingKernelManager.cull_idle_timeout=1800",
                 "--MappingKernelManager.cull_interval=120"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        return args

    def get_env(self) -> dict[str, str]:
        """The server's environment: its folder, its kernels, where bets go; no hub secrets."""
        env = super().get_env()
        home = Path(self.home_dir)
        for name in ("COPROD_ROOM_SESSION", "COPROD_ROOM_TOKEN", "JUPYTER_TOKEN"):
            env.pop(name, None)
        env.update({
            "COPROD_WORK_DIR": str(home / "my_work"),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(home / ".local" / "share" / "jupyter" / "runtime"),
            "JUPYTER_PATH": str(Path(self.class_folder) / "share" / "jupyter"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".cache" / "matplotlib"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "TMPDIR": str(home / ".tmp"),
            "PYTHONNOUSERSITE": "1",
        })
        for name in THREAD_VARS:
            env[name] = "1"
        if self.bets_url and self.user.name != TRAINER:
            env[BETS_URL_ENV] = self.bets_url
        return env

    def make_preexec_fn(self, name: str) -> Any:
        """In the new server process: die with the hub, cap memory, fence the folder in."""
        home = self.home_dir
        mem = int(self.mem_limit or 0)
        fence = self.sandbox
        read = [str(p) for p in sandbox.python_paths(exclude=Path(self.class_folder))]
        read.append(str(Path(self.class_folder) / "share"))

        def preexec() -> None:
            guard.die_with_parent()
            for sig in (signal.SIGINT, signal.SIGTERM):  # the hub stops servers with these
                signal.signal(sig, signal.SIG_DFL)
            os.chdir(home)
            sandbox.limit_memory(mem)
            if fence:
                sandbox.confine(home, read=read)

        return preexec

    def _prepare(self) -> None:
        home = Path(self.home_dir)
        if self.user.name == TRAINER:
            from coprod_sim.serve import dashboards_dir

            target = home / "dashboards"
            target.mkdir(parents=True, exist_ok=True)
            for nb in Path(dashboards_dir()).glob("*.ipynb"):
                shutil.copyfile(nb, target / nb.name)
        else:
            prepare(home)
        for sub in (".tmp", ".cache", ".local/share/jupyter/runtime"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        kernel_spec(Path(self.class_folder))

    async def start(self) -> Any:
        """Make or update the trainee's folder, then start their server."""
        await asyncio.get_running_loop().run_in_executor(None, self._prepare)
        return await super().start()
