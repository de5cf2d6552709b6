"""A class of N simulated trainees joining at once, their bets, and stopping the hub.

Starts ``coprod-sim class`` (the real JupyterHub, its npm proxy, the trainer's
view and the idle culler) on 127.0.0.1 with a fresh class folder, then:

1. **Joining**: N trainees at once each log in (class code and first name), start
   their server, open notebook 00 (read it, start its kernel) and run its first box
   over the kernel's websocket, as JupyterLab does. Prints how many were served and
   the time from joining to a ready notebook (median, worst); then the memory of
   each trainee's server and kernel (RSS, and USS: memory no other process shares)
   and of the whole class.
2. **Bets**: every trainee's kernel sends a bet at once (the same call the
   notebooks make); prints the time until the trainer's view shows all N.
3. **Stopping**: Ctrl+C (SIGINT) with every server running, then a restart that
   checks every trainee's work is still there, then SIGTERM, then another restart
   and SIGKILL; after each stop, lists any process of the class still running.

    python benchmarks/bench_class.py                  # 30 trainees (the issue's figure)
    python benchmarks/bench_class.py --trainees 10

Floors from the issue, for 30 trainees: every one served, median under 15 s, no
kernel over 250 MB; bets reach the trainer's view in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from class_support import FIRST_BOX, ClassHub, Trainee, survivors  # noqa: E402

MB = 2 ** 20
NAMES = ["Ada", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lena",
         "Milo", "Nia", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tia", "Uma", "Vic", "Wren",
         "Xia", "Yusuf", "Zoe", "Abe", "Bea", "Cy", "Di", "Ed", "Flo", "Gil", "Ida", "Jay"]


def join(hub: ClassHub, code: str, name: str) -> dict:
    """One trainee: log in, start the server, open notebook 00, run its first box."""
    t = Trainee(hub, name)
    t0 = time.perf_counter()
    try:
        r = t.login(code)
        if r.status_code != 302:
            raise RuntimeError(f"login {r.status_code}")
        t.get_token()
        t.start_server(timeout=600)
        kernel = t.open_notebook()
        out = t.run(kernel, FIRST_BOX, timeout=600)
        if out["reply"]["status"] != "ok":
            raise RuntimeError(f"first box: {out['reply']}")
        t.run(kernel, "open('../my_work/bench.txt', 'w').write('my work')", timeout=120)
        return {"name": t.user, "ok": True, "s": time.perf_counter() - t0, "t": t,
                "kernel": kernel}
    except Exception as err:  # noqa: BLE001 - counted as not served
        return {"name": name, "ok": False, "s": time.perf_counter() - t0, "err": str(err)}


def memory(hub: ClassHub, users: list[str]) -> None:
    """Print each trainee's server and kernel memory, and the class's total."""
    procs = hub.processes()
    per: dict[str, dict[str, list[float]]] = {u: {"server": [], "kernel": []} for u in users}
    total_rss = total_uss = 0.0
    for p in procs:
        try:
            cmd = " ".join(p.cmdline())
            info = p.memory_full_info()
        except Exception:  # noqa: BLE001 - a process that just ended
            continue
        total_rss += info.rss
        total_uss += info.uss
        for u in users:
            if f"/trainees/{u}/" in cmd or cmd.endswith(f"/trainees/{u}"):
                kind = "kernel" if "ipykernel" in cmd else "server"
                per[u][kind].append(info.rss)
                per[u][kind + "_uss"] = per[u].get(kind + "_uss", []) + [info.uss]
    kernels = [x for u in users for x in per[u]["kernel"]]
    servers = [x for u in users for x in per[u]["server"]]
    trainee = [sum(per[u]["kernel"]) + sum(per[u]["server"]) for u in users]
    trainee_uss = [sum(per[u].get("kernel_uss", [])) + sum(per[u].get("server_uss", []))
                   for u in users]
    print(f"kernel RSS per trainee: median {statistics.median(kernels) / MB:.0f} MB, "
          f"largest {max(kernels) / MB:.0f} MB ({len(kernels)} kernels)")
    print(f"server RSS per trainee: median {statistics.median(servers) / MB:.0f} MB, "
          f"largest {max(servers) / MB:.0f} MB")
    print(f"memory per trainee (server + kernel): RSS median {statistics.median(trainee) / MB:.0f}"
          f" MB; USS median {statistics.median(trainee_uss) / MB:.0f} MB")
    print(f"whole class ({len(procs)} processes: hub, proxy, services, servers, kernels): "
          f"RSS {total_rss / 2 ** 30:.1f} GB, USS {total_uss / 2 ** 30:.1f} GB")


def bets(hub: ClassHub, served: list[dict], trainer: Trainee) -> None:
    """Every trainee bets at once; print the time until the trainer's view shows them all."""
    n = len(served)
    code = ("from coprod_sim.classroom.report import send_bet\n"
            "print(send_bet('00', '00_usual', {g}, 1, wait=True))")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        sent = list(pool.map(lambda s: s[1]["t"].run(
            s[1]["kernel"], code.format(g=10 + (s[0] * 3) % 80), timeout=120), enumerate(served)))
    sent_s = time.perf_counter() - t0
    ok = sum(1 for r in sent if r["outputs"] and r["outputs"][0].get("text", "").strip() == "True")
    seen = None
    while time.perf_counter() - t0 < 120:
        page = trainer.http.get(hub.url + "services/class/live", timeout=30).text
        m = re.search(r"data-moment='00_usual'.*?<b>(\d+)</b>", page, re.S)
        if m and int(m.group(1)) >= n:
            seen = time.perf_counter() - t0
            break
        time.sleep(0.1)
    print(f"bets: {ok} of {n} sent (all sent within {sent_s:.2f} s); the trainer's view "
          + (f"showed all {n} {seen:.2f} s after the first was sent" if seen else
             "did not show them all within 120 s"))


def stop_and_check(hub: ClassHub, sig: int, label: str) -> None:
    procs = hub.processes()
    t0 = time.perf_counter()
    hub.stop(sig, timeout=180)
    left = survivors(procs, wait=15)
    print(f"{label}: the hub stopped in {time.perf_counter() - t0:.1f} s; "
          f"{len(procs)} processes before, {len(left)} left" + (f": {left}" if left else ""))


def restart(hub: ClassHub, names: list[str], code: str) -> Trainee:
    hub.port = 0
    hub.__post_init__()
    t0 = time.perf_counter()
    hub.start(timeout=300)
    kept = sum(1 for u in names
               if (hub.folder / "trainees" / u / "my_work" / "bench.txt").is_file()
               and (hub.folder / "trainees" / u / "my_work" / "bench.txt").read_text() == "my work")
    first = Trainee(hub, names[0])
    ok = first.login(code).status_code == 302
    first.get_token()
    first.start_server(timeout=300)
    r = first.api("GET", f"user/{first.user}/api/contents/my_work/bench.txt")
    via_api = ok and r.ok and r.json()["content"] == "my work"
    print(f"restarted in {time.perf_counter() - t0:.1f} s: {kept} of {len(names)} trainees' "
          f"work on disk; {first.user} logged in again and read it in JupyterLab: {via_api}")
    return first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trainees", type=int, default=30)
    ap.add_argument("--folder", default=None, help="the class folder (default: a new temp one)")
    args = ap.parse_args()
    n = args.trainees
    base = Path(args.folder or tempfile.mkdtemp(prefix="coprod-bench-class-"))
    hub = ClassHub(base / "class", args=["--max-trainees", str(n + 5), "--idle-minutes", "120"])
    try:
        t0 = time.perf_counter()
        hub.start(timeout=300)
        print(f"hub started in {time.perf_counter() - t0:.1f} s; {n} trainees join at once")
        code = hub.info()["class_code"]
        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(lambda name: join(hub, code, name), NAMES[:n]))
        served = [r for r in results if r["ok"]]
        times = sorted(r["s"] for r in served)
        print(f"served: {len(served)} of {n}")
        for r in results:
            if not r["ok"]:
                print(f"  not served: {r['name']} after {r['s']:.0f} s: {r['err'][:200]}")
        if times:
            print(f"time from joining to a ready notebook (first box run): median "
                  f"{statistics.median(times):.1f} s, worst {times[-1]:.1f} s, best "
                  f"{times[0]:.1f} s")
        time.sleep(2)
        memory(hub, [r["name"] for r in served])
        trainer = Trainee(hub, "trainer")
        trainer.login(hub.info()["trainer_code"])
        trainer.http.get(hub.url + "services/class/", timeout=60)
        bets(hub, served, trainer)
        names = [r["name"] for r in served]
        stop_and_check(hub, signal.SIGINT, f"Ctrl+C (SIGINT) with {len(served)} servers")
        restart(hub, names, code)
        stop_and_check(hub, signal.SIGTERM, "SIGTERM with 1 server")
        first = restart(hub, names, code)
        first.open_notebook()
        stop_and_check(hub, signal.SIGKILL, "SIGKILL with 1 server and its kernel")
        print(json.dumps({"trainees": n, "served": len(served)}))
    finally:
        hub.kill_all()


if __name__ == "__main__":
    main()
