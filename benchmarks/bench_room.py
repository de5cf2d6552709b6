"""How fast the room takes answers: N devices answering at once over HTTP.

Starts the dashboard server in room mode on 127.0.0.1 (no kernel is started:
the join page needs none), gives each simulated device its own cookies, then
has all of them send an answer at the same moment, and prints how long that
took and whether every answer was counted. Repeats for each N.

    python benchmarks/bench_room.py              # 30, 100 and 300 devices
    python benchmarks/bench_room.py --devices 30 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from room_support import Device, RoomServer  # noqa: E402

from coprod_sim.room.store import QuestionSpec  # noqa: E402

QUESTION = QuestionSpec("bench", "choice", "Up or down?", options=("Go up", "Go down"))


def one_round(server: RoomServer, n: int) -> tuple[float, float, int]:
    """Seconds for ``n`` devices to join, seconds for them all to answer, answers counted."""
    store = server.store()
    qid = store.open_question(QUESTION)
    devices = [Device(server) for _ in range(n)]
    t0 = time.perf_counter()
    for d in devices:
        d.join()
    joined = time.perf_counter() - t0
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def send(i: int, d: Device) -> None:
        barrier.wait()
        statuses.append(d.answer({"question": qid, "choice": QUESTION.options[i % 2]}).status)

    threads = [threading.Thread(target=send, args=(i, d)) for i, d in enumerate(devices)]
    t1 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = time.perf_counter() - t1
    counted = store.answered(qid)
    assert statuses.count(200) == n, statuses
    store.close()
    return joined, answered, counted


def main() -> None:  # noqa: D103
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, nargs="*", default=[30, 100, 300])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    server = RoomServer(Path(tempfile.mkdtemp(prefix="bench-room-")) / "sessions").start()
    try:
        print(f"{'devices':>8} {'join (s)':>9} {'answer, median (s)':>19} "
              f"{'worst (s)':>10} {'counted':>8}")
        for n in args.devices:
            runs = [one_round(server, n) for _ in range(args.rounds)]
            answers = [r[1] for r in runs]
            print(f"{n:>8} {statistics.median(r[0] for r in runs):>9.2f} "
                  f"{statistics.median(answers):>19.3f} {max(answers):>10.3f} "
                  f"{min(r[2] for r in runs):>5}/{n}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
