"""A long run at full speed with Klavier's memory sampled: does it stay flat?

Starts the built-in target (core 0) and `klavier run bench/profiles/health.toml` with 64
users for `--minutes` (default 30) on core 1, samples the generator's resident set size
from /proc every 10 s, and writes a table (bench/SOAK.md by default) with the verdict:
the largest RSS after the first minute against the RSS at one minute (flat: within 10%).
Not run in CI: it takes half an hour and measures this machine.

    python3 bench/soak.py --klavier target/release/klavier [--minutes 30] [--out bench/SOAK.md]
"""

import argparse
import datetime
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

SAMPLE_S = 10


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--klavier", required=True)
    p.add_argument("--minutes", type=int, default=30)
    p.add_argument("--out", type=Path, default=harness.BENCH / "SOAK.md")
    args = p.parse_args()
    # A SIGTERM still stops the generator and the target (the `finally` below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc)
    target = harness.start_target(args.klavier, 18084)
    samples = []
    with tempfile.TemporaryDirectory(prefix="klavier-soak-") as tmp:
        out = Path(tmp) / "soak.json"
        argv = [*harness.NICE, "taskset", "-c", harness.GENERATOR_CORE, args.klavier, "run",
                str(harness.BENCH / "profiles" / "health.toml"), "--quiet", "--threads", "1",
                "--users", "64", "--duration", f"{args.minutes}m", "--base-url", "http://127.0.0.1:18084",
                "--json", str(out)]
        gen = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        try:
            while gen.poll() is None:
                time.sleep(SAMPLE_S - (time.monotonic() - t0) % SAMPLE_S)
                if gen.poll() is None:
                    samples.append((round(time.monotonic() - t0), rss_kib(gen.pid)))
                    harness.log(f"soak {samples[-1][0]:>5} s  RSS {samples[-1][1]:,} KiB")
        finally:
            if gen.poll() is None:
                gen.terminate()
            gen.wait()
            target.stop()
        result = json.loads(out.read_text())
    totals = result["totals"]
    # The per-second time series is kept in memory by design (a point a second, its
    # histogram encoded): it is the one thing allowed to grow, by its own size.
    points = result.get("timeseries", [])
    series_kib = sum(len(json.dumps(p)) for p in points[60:]) / 1024
    at_minute = next((kib for s, kib in samples if s >= 60), samples[-1][1])
    after = [kib for s, kib in samples if s >= 60]
    peak = max(after or [at_minute])
    allowed = 1.10 * at_minute + series_kib
    verdict = "flat" if peak <= allowed else "GROWING"
    md = [
        "# Soak: Klavier's memory over a long run",
        "",
        f"Written by `bench/soak.py` on {started:%Y-%m-%d %H:%M} UTC: {args.minutes} min, 64 users, "
        f"`GET /api/health` on the built-in target, `--threads 1`, RSS from /proc every {SAMPLE_S} s.",
        f"Machine: {harness.machine()}.",
        "",
        f"{totals['count']:,} requests at {totals['rate_per_second']:,.0f}/s, {totals['failures']} failed.",
        f"RSS at 1 min {at_minute:,} KiB; largest after it {peak:,} KiB (+{peak - at_minute:,} KiB); "
        f"the time series after the first minute is {series_kib:,.0f} KiB as JSON ({len(points)} points). "
        f"**{verdict}** (bar: at most 1.10× the RSS at 1 min plus the time series' own size).",
        "",
        "| second | RSS KiB |",
        "| --- | --- |",
        *[f"| {s} | {kib:,} |" for s, kib in samples if s % 60 < SAMPLE_S or s == samples[-1][0]],
        "",
        "Command:",
        "",
        "```sh",
        " ".join(argv),
        "```",
        "",
    ]
    args.out.write_text("\n".join(md))
    harness.log(f"wrote {args.out}: {verdict}")


if __name__ == "__main__":
    main()
