#!/usr/bin/env python3
"""`klavier search` against a server of known capacity: the issue's 5% bar.

Starts `klavier target --workers 4 --service 5ms` (capacity 800/s exactly: four
requests served at a time, 5 ms each, the rest queued in order) on loopback, and runs
`klavier search` on it with `p99 < 50ms` twice:

- uniform arrivals: below capacity no request waits, above it the queue grows by
  (rate - 800) a second, so the true knee is 800/s;
- Poisson arrivals: requests queue before the capacity is reached; the reference is a
  simulation of the same queue (M/D/4, FIFO) at each rate: the highest rate whose
  simulated p99 response time, plus the overhead the search measured at its first
  step, stays under 50 ms.

Prints both tables and a summary line each: found, reference, ratio. Every run is
bounded (`--max`, step count) and stops by itself.

    bench/capacity.py [--klavier target/release/klavier] [--step-duration 10s]
"""

import argparse
import heapq
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKERS = 4
SERVICE_S = 0.005
CAPACITY = WORKERS / SERVICE_S
SLO_MS = 50.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"klavier target exited early ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"klavier target never listened on port {port}")


def simulated_p99_ms(rate, seconds=300.0, seed=1):
    """p99 response time of an M/D/4 FIFO queue at `rate`, in ms (service included)."""
    rng = random.Random(seed)
    free = [0.0] * WORKERS
    sojourns = []
    t = 0.0
    while t < seconds:
        t += rng.expovariate(rate)
        start = max(t, heapq.heappop(free))
        finish = start + SERVICE_S
        heapq.heappush(free, finish)
        sojourns.append(finish - t)
    sojourns.sort()
    return sojourns[int(len(sojourns) * 0.99)] * 1000.0


def poisson_reference(overhead_ms):
    """The highest rate (to 1/s) whose simulated p99 plus the overhead meets the SLO."""
    low, high = 100.0, CAPACITY
    while high - low > 1.0:
        mid = (low + high) / 2
        if simulated_p99_ms(mid) + overhead_ms < SLO_MS:
            low = mid
        else:
            high = mid
    return low


def search(klavier, profile, out_json, step_duration):
    cmd = [
        klavier, "search", str(profile), "--slo", f"p99 < {SLO_MS:g}ms",
        "--slo", "error_rate < 1%", "--from", "100/s", "--max", "3200/s",
        "--step-duration", step_duration, "--warmup", "2s", "--cooldown", "1s",
        "--json", str(out_json), "--seed", "7",
    ]
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    print(done.stdout, flush=True)
    if done.returncode != 0:
        sys.exit(f"klavier search exited {done.returncode}:\n{done.stderr}")
    return json.loads(Path(out_json).read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--klavier", default="target/release/klavier")
    parser.add_argument("--step-duration", default="10s")
    args = parser.parse_args()
    port = free_port()
    target = subprocess.Popen(
        [args.klavier, "target", "--addr", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--service", f"{SERVICE_S * 1000:g}ms"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, target)
        with tempfile.TemporaryDirectory() as work:
            lines = []
            for arrivals in ("uniform", "poisson"):
                profile = Path(work) / f"{arrivals}.toml"
                profile.write_text(
                    f'[target]\nbase_url = "http://127.0.0.1:{port}"\n'
                    f'[load]\narrivals = "{arrivals}"\n'
                    '[scenarios.get]\n[[scenarios.get.requests]]\n'
                    'name = "health"\npath = "/api/health"\n')
                document = search(args.klavier, profile, Path(work) / f"{arrivals}.json",
                                  args.step_duration)
                outcome = document["outcome"]
                found = outcome.get("low") or 0.0
                if arrivals == "uniform":
                    reference = CAPACITY
                    how = "capacity, N / service"
                else:
                    # What the generator and loopback add to the server's own time,
                    # from the first (lightly loaded) step: p99 minus the service time.
                    first = document["steps"][0]
                    overhead = max(0.0, first["p99_ms"] - SERVICE_S * 1000)
                    reference = poisson_reference(overhead)
                    how = f"M/D/4 simulated knee, +{overhead:.1f} ms overhead"
                lines.append(
                    f"{arrivals:8} found {found:7.1f}/s  (bracket {outcome.get('low')}–"
                    f"{outcome.get('high')})  reference {reference:7.1f}/s ({how})  "
                    f"ratio {found / reference:.3f}")
            print("\n".join(lines))
    finally:
        target.terminate()
        try:
            target.wait(timeout=5)
        except subprocess.TimeoutExpired:
            target.kill()


if __name__ == "__main__":
    main()
