"""Dashboard speed and memory, measured in a real browser (prints figures; not a test).

    .venv/bin/python benchmarks/bench_dashboard.py [--quick]

Measures, against Voila on 127.0.0.1 driven by Playwright and Debian's Chromium:

1. time from changing a control to the redrawn chart, one run per change
   (each change makes a scenario not run before, so the cache does not help),
   for both chart display modes ("inplace" and "output");
2. the same with 20-replicate uncertainty bands;
3. first render of the trainer dashboard, cold (no preheated kernel, fresh
   browser profile) and preheated (a kernel that has already rendered it);
4. memory per dashboard kernel (resident and unique set size), for each of the
   three dashboards, and THE figure quoted in docs/dashboards.md: the memory
   per dashboard tab, that is the trainer dashboard's kernel with its helper
   processes after 20-run bands, shared pages divided among the processes that
   share them (Linux's proportional set size, PSS) (``--part memory``);
5. arrivals (``--part arrivals``): with the preheated pool (``--pool``, default
   2), ``--arrivals`` pages (default 10) are opened one after another,
   ``--gap`` seconds apart (default 10) after the one before showed its chart,
   and the distribution of the times to the chart is printed (the aim: every
   arrival under 1.5 s on a quiet machine; the pool is refilled as soon as a
   kernel is taken).

``--part redraw,first,memory,arrivals`` picks parts (default: all). The load
average is printed at the start and the end: on a loaded machine every time
is longer, so quote it with the figures.

Floors from issue 3: <= 300 ms median single-run redraw, <= 1 s with 20-replicate
bands, first render <= 3 s preheated, <= 250 MB per kernel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_support import Page, VoilaServer, browser, playwright_missing  # noqa: E402

#: Check boxes toggled in Gray-code order, so every change is a new scenario.
TOGGLES = ("Pay out-of-pocket expenses", "Buddying", "Ground rules made together",
           "Explain decisions", "Large print materials")


#: Seconds to wait after the preheated kernel looks idle before measuring.
SETTLE = 20.0


def gray_sequence(n: int) -> list[int]:
    """Which check box to flip at each step so that no state repeats (Gray code)."""
    out = []
    for i in range(1, min(n, 2 ** len(TOGGLES) - 1) + 1):
        out.append((i & -i).bit_length() - 1)
    return out


def set_replicates(p: Page, n: int) -> None:
    """Type ``n`` into the 'Runs for the band' slider's readout, as a user can."""
    box = p.page.locator(".widget-slider").filter(has_text="Runs for the band")
    readout = box.locator(".widget-readout")
    before = p.draws()
    readout.click()
    p.page.keyboard.press("Control+A")
    p.page.keyboard.type(str(n))
    p.page.keyboard.press("Enter")
    p.wait_redraw(before, timeout=120)


def kernel_cpu(server: VoilaServer) -> float:
    """CPU seconds used so far by the server's kernels and their helper processes."""
    import psutil

    total = 0.0
    for pid in server.kernel_pids():
        try:
            kernel = psutil.Process(pid)
            for proc in [kernel, *kernel.children(recursive=True)]:
                t = proc.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def redraw_times(p: Page, changes: int, server: VoilaServer,
                 cpu: list[float] | None = None) -> list[float]:
    """Wall time per change; CPU seconds the kernel side used per change go to ``cpu``."""
    times = []
    for k in gray_sequence(changes):
        box = p.page.get_by_role("checkbox", name=TOGGLES[k])
        before = p.draws()
        c0 = kernel_cpu(server)
        t0 = time.perf_counter()
        box.click()
        p.wait_redraw(before, timeout=120)
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(kernel_cpu(server) - c0)
    return times


def kernel_memory(server: VoilaServer) -> list[dict[str, float]]:
    """Memory of each kernel and of its helper processes (MB)."""
    import psutil

    out = []
    for pid in server.kernel_pids():
        kernel = psutil.Process(pid)
        info = kernel.memory_full_info()
        helpers = kernel.children(recursive=True)
        h_uss = sum(h.memory_full_info().uss for h in helpers) / 2**20
        h_rss = sum(h.memory_info().rss for h in helpers) / 2**20
        pss = (info.pss + sum(h.memory_full_info().pss for h in helpers)) / 2**20
        out.append({"rss": info.rss / 2**20, "uss": info.uss / 2**20,
                    "helpers": len(helpers), "helper_rss": h_rss, "helper_uss": h_uss,
                    "tab_pss": pss, "processes": 1 + len(helpers)})
    return out


def fmt_ms(xs: list[float]) -> str:
    return (f"median {1000 * statistics.median(xs):5.0f} ms  "
            f"(min {1000 * min(xs):.0f}, max {1000 * max(xs):.0f}, n={len(xs)})")


def first_render(pool: int, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        server = VoilaServer("trainer", pool=pool).start(timeout=180)
        try:
            if pool:
                # The preheated kernel renders the dashboard in the background; wait
                # until it is quiet, then a margin (on a loaded machine imports can
                # look idle while they wait on the disk).
                server.wait_kernels_idle(count=1, timeout=180)
                time.sleep(SETTLE)
            with browser() as ctx:  # fresh profile: nothing cached
                p = Page(ctx, server.page_url(), timeout=120)
                times.append(p.load_seconds)
                if p.errors:
                    print("  console errors:", p.errors)
        finally:
            server.stop()
    return times


def distribution(xs: list[float], aim: float = 1.5) -> str:
    """Min, quartiles, 90th percentile and max of ``xs`` (s), and how many were under ``aim``."""
    q = statistics.quantiles(xs, n=10, method="inclusive") if len(xs) > 1 else xs * 9
    under = sum(1 for x in xs if x < aim)
    return (f"min {min(xs):.2f}, median {statistics.median(xs):.2f}, 90th percentile "
            f"{q[8]:.2f}, max {max(xs):.2f} s; {under} of {len(xs)} under {aim} s")


def arrivals(pool: int, count: int, gap: float) -> list[float]:
    """Seconds to the chart for ``count`` pages opened one after another (see module notes)."""
    # room for every page: a closed tab's kernel is stopped by the page itself as it
    # closes (Voila's own request), which may arrive after the next page is asked for
    server = VoilaServer("trainer", pool=pool, max_kernels=count + pool + 1).start(timeout=180)
    times = []
    try:
        server.wait_kernels_idle(count=pool, timeout=180)
        time.sleep(SETTLE / 2)
        with browser() as ctx:
            for _ in range(count):
                p = Page(ctx, server.page_url(), timeout=120)
                times.append(p.load_seconds)
                if p.errors:
                    print("  console errors:", p.errors)
                p.page.close(run_before_unload=True)  # as a tab closes: its kernel stops
                time.sleep(gap)
    finally:
        server.stop()
    return times


def dashboard_memory(name: str, helpers: bool) -> dict[str, float]:
    """Memory of one rendered dashboard kernel (and its helper processes), in MB."""
    env = {} if helpers else {"COPROD_HELPERS": "0"}
    server = VoilaServer(name, pool=0, env=env).start()
    try:
        with browser() as ctx:
            p = Page(ctx, server.page_url(), timeout=120)
            if name == "trainer" and helpers:
                set_replicates(p, 20)  # the helper starts on first use
                time.sleep(3)
            server.wait_kernels_idle(count=1, timeout=120)
            return kernel_memory(server)[0]
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--part", default="redraw,first,memory,arrivals",
                    help="parts to run, comma-separated: redraw, first, memory, arrivals")
    ap.add_argument("--arrivals", type=int, default=10, help="pages opened (default 10)")
    ap.add_argument("--gap", type=float, default=10.0,
                    help="seconds between arrivals (default 10)")
    ap.add_argument("--pool", type=int, default=2, help="preheated kernels (default 2)")
    args = ap.parse_args()
    parts = set(args.part.split(","))
    unknown = parts - {"redraw", "first", "memory", "arrivals"}
    if unknown:
        print(f"--part: unknown part(s) {', '.join(sorted(unknown))}; allowed: redraw, "
              "first, memory, arrivals")
        return 2
    missing = playwright_missing()
    if missing:
        print(f"cannot run: {missing}")
        return 1
    n_single = 8 if args.quick else 15
    n_bands = 4 if args.quick else 8
    repeats = 1 if args.quick else 3
    load = os.getloadavg()
    print(f"bench_dashboard: {os.cpu_count()} CPUs, load average {load[0]:.1f} "
          f"{load[1]:.1f} {load[2]:.1f} at start")

    if "redraw" not in parts:
        code = other_parts(parts, args)
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at end")
        return code
    results: dict[str, list[float]] = {}
    memory: list[dict[str, float]] = []
    cpu: dict[str, list[float]] = {}
    for mode in ("inplace", "output"):
        server = VoilaServer("trainer", pool=0, env={"COPROD_CHART_MODE": mode}).start()
        try:
            with browser() as ctx:
                p = Page(ctx, server.page_url(), timeout=120)
                set_replicates(p, 1)
                redraw_times(p, 2, server)  # warm up
                results[f"single run, {mode}"] = redraw_times(
                    p, n_single, server, cpu.setdefault(f"single run, {mode}", []))
                if mode == "inplace":
                    set_replicates(p, 20)
                    time.sleep(3)  # the helper process starts on first use
                    results["20-replicate bands, inplace"] = redraw_times(
                        p, n_bands, server, cpu.setdefault("20-replicate bands, inplace", []))
                    memory = kernel_memory(server)
        finally:
            server.stop()

    results["first render, cold"] = first_render(0, repeats)
    results["first render, preheated"] = first_render(1, repeats)

    print("\nTime from changing a control to the redrawn chart (trainer dashboard):")
    for key in ("single run, inplace", "single run, output", "20-replicate bands, inplace"):
        print(f"  {key:30s} {fmt_ms(results[key])}")
    print("CPU time the kernel and its helper used per change (a floor for the wait on an "
          "idle machine):")
    for key, xs in cpu.items():
        print(f"  {key:30s} median {1000 * statistics.median(xs):5.0f} ms CPU")
    print("First render of the trainer dashboard (page request to chart shown):")
    for key in ("first render, cold", "first render, preheated"):
        xs = results[key]
        print(f"  {key:30s} median {statistics.median(xs):5.2f} s  "
              f"({', '.join(f'{x:.2f}' for x in xs)})")
    print("Memory per dashboard kernel after the session above:")
    for m in memory:
        print(f"  kernel: resident {m['rss']:4.0f} MB, unique {m['uss']:4.0f} MB; "
              f"{m['helpers']:.0f} helper processes: resident {m['helper_rss']:4.0f} MB, "
              f"unique {m['helper_uss']:4.0f} MB; session total (unique) "
              f"{m['uss'] + m['helper_uss']:4.0f} MB")
    single = statistics.median(results["single run, inplace"])
    bands = statistics.median(results["20-replicate bands, inplace"])
    pre = statistics.median(results["first render, preheated"])
    mem = max((m["rss"] for m in memory), default=float("nan"))
    print("\nFloors (issue 3):")
    for name, value, floor, unit in (("single-run redraw", single * 1000, 300, "ms"),
                                     ("20-replicate redraw", bands * 1000, 1000, "ms"),
                                     ("first render, preheated", pre, 3, "s"),
                                     ("memory per kernel (resident)", mem, 250, "MB")):
        verdict = "meets" if value <= floor else "MISSES"
        print(f"  {name:30s} {value:8.2f} {unit} {verdict} the floor of {floor} {unit}")
    other_parts(parts - {"redraw", "first"}, args)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at end")
    return 0


def other_parts(parts: set[str], args: argparse.Namespace) -> int:
    """The memory and arrivals parts (printed as they finish)."""
    if "memory" in parts:
        print("\nMemory of one rendered dashboard kernel (MB; unique = freed when it stops):")
        for name in ("trainer", "compare", "explorer"):
            m = dashboard_memory(name, helpers=False)
            print(f"  {name:9s} kernel only (COPROD_HELPERS=0): resident {m['rss']:4.0f}, "
                  f"unique {m['uss']:4.0f}")
        m = dashboard_memory("trainer", helpers=True)
        print(f"  trainer   with its helper, 20-run bands: kernel resident {m['rss']:4.0f}, "
              f"unique {m['uss']:4.0f}; {m['helpers']:.0f} helper processes resident "
              f"{m['helper_rss']:4.0f}, unique {m['helper_uss']:4.0f}")
        print(f"MEMORY PER DASHBOARD TAB (the figure in docs/dashboards.md): "
              f"{m['tab_pss']:.0f} MB in {m['processes']:.0f} processes (trainer dashboard, "
              "kernel and helpers after 20-run bands, shared pages divided among them)")
    if "arrivals" in parts:
        count, gap, pool = args.arrivals, args.gap, args.pool
        print(f"\nArrivals: {count} trainer pages, {gap:g} s apart, --pool {pool}; seconds "
              "from the request to the chart:")
        xs = arrivals(pool, count, gap=gap)
        print("  " + ", ".join(f"{x:.2f}" for x in xs))
        print(f"  {distribution(xs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
