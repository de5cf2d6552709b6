"""``coprod-sim class``: serve the kit to a room of trainees with JupyterHub.

::

    coprod-sim class                      # a class on this computer (127.0.0.1 only)
    coprod-sim class --room               # trainees join from their laptops on this network
    coprod-sim class --folder ~/classes/tuesday --max-trainees 25

It prints one short address, the class code (and a QR code of the address) for
the room, and the trainer's code for the trainer; then runs the hub until
Ctrl+C. The class folder keeps every trainee's work between days. See
``docs/class.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from coprod_sim import cli

#: The line printed when the class's packages are missing.
INSTALL_HINT = "install coprod-sim[class] (for example: pip install 'coprod-sim[class]')"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"1.5G"`` or ``"800M"`` as bytes (raises UsageError naming what is allowed)."""
    m = _SIZE.match(str(text))
    if not m:
        raise cli.UsageError(f"--mem-limit is {text!r}; allowed: a size such as 800M or 1.5G")
    value = float(m.group(1)) * {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[
        m.group(2).upper()]
    if value < 256 * 1024 ** 2:
        raise cli.UsageError(f"--mem-limit is {text!r}; allowed: 256M or more (a server "
                             "and a kernel with the model need several hundred MB)")
    return int(value)


def default_folder() -> Path:
    """The class folder used when none is given: ``coprod-sim-class`` in the home folder."""
    return Path.home() / "coprod-sim-class"


def prepare_class(args: argparse.Namespace) -> tuple[Path, str, object]:
    """Check the options, find the proxy, write the hub's configuration.

    Returns:
        The configuration file, the address to print, and the class's codes.
    """
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError:
        raise cli.UsageError(f"the class needs JupyterHub: {INSTALL_HINT}") from None
    from coprod_sim.classroom.codes import ClassError, load_or_create
    from coprod_sim.classroom.config import CONFIG_PY, Settings
    from coprod_sim.classroom.proxy import ProxyError, find_proxy
    from coprod_sim.serve import free_port, port_is_free, room_ip

    if not 1024 <= args.port <= 65535:
        raise cli.UsageError(f"--port is {args.port}; allowed: a whole number from 1024 "
                             "to 65535")
    for name in ("max_trainees", "max_kernels", "idle_minutes"):
        value = getattr(args, name)
        if value < 1:
            raise cli.UsageError(f"--{name.replace('_', '-')} is {value}; allowed: 1 or more")
    mem = parse_size(args.mem_limit)
    ip = "0.0.0.0" if args.room else "127.0.0.1"
    if not port_is_free(args.port, ip):
        raise cli.UsageError(f"--port is {args.port}, which another program uses; allowed: "
                             "a free port (try --port 8010)")
    try:
        info = load_or_create(args.folder or default_folder())
        program = find_proxy()
    except (ClassError, ProxyError) as err:
        raise cli.UsageError(str(err)) from None
    host = room_ip() if args.room else "127.0.0.1"
    address = f"http://{host}:{args.port}/"
    info.hub_dir.mkdir(parents=True, exist_ok=True)
    info.hub_dir.chmod(0o700)
    info.trainees_dir.mkdir(exist_ok=True)
    settings = Settings(ip=ip, port=args.port, address=address, hub_port=free_port(),
                        proxy_api_port=free_port(), service_port=free_port(),
                        proxy=str(program), max_trainees=args.max_trainees, mem_limit=mem,
                        max_kernels=args.max_kernels, idle_minutes=args.idle_minutes,
                        sandbox=not args.no_sandbox)
    settings.save(info.hub_dir / "settings.json")
    config = info.hub_dir / "jupyterhub_config.py"
    config.write_text(CONFIG_PY, encoding="utf-8")
    return config, address, info


def banner(address: str, info: object, room: bool) -> str:
    """What the command prints: the address, the codes, and a QR code of the address."""
    import segno

    from coprod_sim.classroom.sandbox import landlock_abi

    qr = segno.make(address, error="m", micro=False)
    import io

    buf = io.StringIO()
    qr.terminal(out=buf, compact=True, border=2)
    fence = ("each trainee's server is fenced into their own folder (Landlock)"
             if landlock_abi() >= 1 else
             "WARNING: this system has no Landlock: trainees' servers are kept apart by "
             "the hub's logins only, not by the operating system")
    lines = [buf.getvalue().rstrip(),
             "",
             f"  Class address:   {address}",
             f"  Class code:      {info.class_code}",
             "",
             f"  Trainer's code:  {info.trainer_code}   (for you only: keep it off the "
             "projector)",
             f"  Class folder:    {info.folder}   ({fence})",
             "" if room else "  Only this computer can join: add --room to let laptops on "
             "this network join.",
             "  Stop the class with Ctrl+C (trainees' work is kept in the class folder).", ""]
    return "\n".join(lines)


def cmd_class(args: argparse.Namespace) -> int:
    """Start the class's hub (replaces this process, so signals reach the hub itself)."""
    config, address, info = prepare_class(args)
    print(banner(address, info, args.room), flush=True)
    if args.dry_run:
        return 0
    os.chdir(config.parent)
    argv = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return


def _add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("class", help="serve the kit to a class with JupyterHub "
                                     "(needs coprod-sim[class])",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--folder", default=None,
                   help="the class folder, kept between days (default: ~/coprod-sim-class)")
    p.add_argument("--port", type=int, default=8000, help="the port trainees open "
                   "(default 8000)")
    p.add_argument("--room", action="store_true",
                   help="let laptops on this network join (listens on every address)")
    p.add_argument("--max-trainees", type=int, default=40,
                   help="most trainees working at once; the next sees 'the class is full'")
    p.add_argument("--mem-limit", default="2G",
                   help="memory ceiling of each trainee's server and of each kernel "
                        "(address space, RLIMIT_AS; default 2G)")
    p.add_argument("--max-kernels", type=int, default=2,
                   help="most notebooks one trainee runs at once (default 2)")
    p.add_argument("--idle-minutes", type=int, default=30,
                   help="stop a trainee's server idle this long; work is kept (default 30)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="do not fence trainees' servers in with Landlock (not advised)")
    p.add_argument("--dry-run", action="store_true",
                   help="write the hub's configuration and print the codes, but do not start")
    p.set_defaults(func=cmd_class)


cli.register("class", _add_parser)
