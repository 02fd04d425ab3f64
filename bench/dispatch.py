"""Comparison 5 of bench/harness.py: how punctual and how truthful an open-model run is.

Against the built-in target's `GET /api/health` (a service time of a few µs), with the
target logging when each request arrived (`GET /__klavier/received`):

- the open model at 200/s and 2,000/s (uniform arrivals): Klavier's reported response-time
  p50 minus the target's own service-time p50 (Klavier's overhead, which timer lateness
  inflates), its own scheduling-lateness figures, and the *server-side* dispatch lateness:
  arrival k should reach the server at t0 + k/rate, so (t_k - k/rate) minus its smallest
  value over the run is how much later than the most punctual arrival it came;
- the same overhead for wrk and Klavier as closed models (one connection, no pacing) and,
  if installed, oha at the same rates with `--latency-correction`;
- pacing: one closed-model user with `min_scenario_interval_ms = 10`, whose requests the
  server should see 10 ms apart, 100 per second.
"""

import statistics
import subprocess
from pathlib import Path

RATES = [200, 2000]
PACE_MS = 10

OPEN_PROFILE = """[target]
base_url = "http://127.0.0.1:18080"
[load]
arrival_rate = {rate}
max_users = 64
[scenarios.health]
[[scenarios.health.requests]]
path = "/api/health"
[timings]
duration = "10s"
"""

PACED_PROFILE = """[target]
base_url = "http://127.0.0.1:18080"
[load]
users = 1
[scenarios.health]
[[scenarios.health.requests]]
path = "/api/health"
[timings]
duration = "10s"
min_scenario_interval_ms = {pace}
"""


def percentile(values, q):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def server_lateness(received_ns, rate):
    """Per-arrival lateness (µs) against a uniform timeline at `rate`, relative to the
    most punctual arrival, and the share of gaps shorter than a fifth of the period.
    The k-th request received is taken for arrival k: a run that dropped arrivals shifts
    every later one by a period per drop (the table shows the drops beside it)."""
    period = 1e9 / rate
    offsets = [t - k * period for k, t in enumerate(received_ns)]
    if not offsets:
        return [], 0.0
    base = min(offsets)
    late_us = [(o - base) / 1000 for o in offsets]
    gaps = [b - a for a, b in zip(received_ns, received_ns[1:])]
    clumped = sum(1 for g in gaps if g < period / 5) / max(len(gaps), 1)
    return late_us, clumped


def klavier_argv(args, profile, out, seconds, extra=()):
    return [args.klavier, "run", str(profile), "--quiet", "--threads", "1",
            "--duration", f"{seconds}s", "--json", str(out), *extra]


def run_one(h, args, target, name, argv, seconds):
    """Runs one generator command pinned like every other, returns what it and the
    target measured."""
    probe = h.TargetProbe(target)
    probe.reset()
    load = h.loadavg()
    timefile = args.workdir / "time.txt"
    pinned = [*h.NICE, "taskset", "-c", h.GENERATOR_CORE, *argv]
    wrapped = ["/usr/bin/time", "-f", "%U %S %M %e", "-o", str(timefile), *pinned]
    proc = subprocess.run(wrapped, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, timeout=seconds + 60)
    user, system, _rss, wall = timefile.read_text().split()[-4:]
    timing = probe.timing()
    received = probe._call("GET", "/__klavier/received")
    probe.close()
    cpu = float(user) + float(system)
    r = {
        "name": name,
        "stdout": proc.stdout,
        "server": timing,
        "received_ns": received.get("received_ns", []),
        "cpu_pct": 100 * cpu / max(float(wall), 1e-9),
        "loadavg": load,
        "command": " ".join(pinned),
    }
    return r


def klavier_figures(r, out):
    import json
    d = json.loads(Path(out).read_text())
    t = d["totals"]
    g = d.get("generator", {})
    lag = g.get("schedule_lag", {})
    r.update(
        requests=t["count"],
        rps=t["rate_per_second"],
        p50_us=t["response_time"]["p50_us"],
        p99_us=t["response_time"]["p99_us"],
        service_p50_us=t["service_time"]["p50_us"],
        lag_p50_us=lag.get("p50_us", 0),
        lag_p99_us=lag.get("p99_us", 0),
        dropped=(d.get("arrivals") or {}).get("dropped", 0),
    )


def measure_all(h, args, target):
    """Every run of this comparison, `args.rounds` rounds, order rotating."""
    seconds = args.dispatch_duration
    profiles = {}
    for rate in RATES:
        p = args.workdir / f"open{rate}.toml"
        p.write_text(OPEN_PROFILE.format(rate=rate))
        profiles[f"open {rate}/s"] = (p, rate)
    paced = args.workdir / "paced.toml"
    paced.write_text(PACED_PROFILE.format(pace=PACE_MS))
    closed = h.BENCH / "profiles" / "health.toml"
    base = "http://127.0.0.1:18080"
    runs = []
    for name, (p, rate) in profiles.items():
        runs.append((f"klavier {name}", "open", rate, lambda out, p=p: klavier_argv(args, p, out, seconds)))
        if h.shutil.which("oha"):
            runs.append((f"oha {name}", "oha", rate, lambda out, rate=rate: [
                "oha", "--no-tui", "--output-format", "json", "-q", str(rate), "--latency-correction",
                "-c", "64", "-z", f"{seconds}s", f"{base}/api/health"]))
    runs.append(("klavier closed, 1 user", "closed", None,
                 lambda out: klavier_argv(args, closed, out, seconds, ["--users", "1", "--base-url", base])))
    if h.shutil.which("wrk"):
        runs.append(("wrk closed, 1 connection", "wrk", None, lambda out: [
            "wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(h.BENCH / "wrk-report.lua"), f"{base}/api/health"]))
    runs.append((f"klavier paced {PACE_MS} ms, 1 user", "paced", None,
                 lambda out: klavier_argv(args, paced, out, seconds)))
    results = {name: [] for name, *_ in runs}
    for rnd in range(args.rounds):
        order = runs[rnd % len(runs):] + runs[: rnd % len(runs)]
        for name, kind, rate, argv in order:
            out = args.workdir / "dispatch.json"
            r = run_one(h, args, target, name, argv(out), seconds)
            svc = r["server"]["service_time_us"]
            if kind in ("open", "closed", "paced"):
                klavier_figures(r, out)
            else:
                r.update(h.parse(kind, r["stdout"], out))
            r["overhead_p50_us"] = r["p50_us"] - svc["p50"]
            r["server_p50_us"] = svc["p50"]
            if rate:
                late, clumped = server_lateness(r["received_ns"], rate)
                r["server_late_p50_us"] = percentile(late, 0.50)
                r["server_late_p99_us"] = percentile(late, 0.99)
                r["clumped_pct"] = 100 * clumped
            if kind == "paced":
                # From the receive log: the probe's own connection is not in it.
                ns = r["received_ns"]
                gaps = [(b - a) / 1e6 for a, b in zip(ns, ns[1:])]
                r["gap_mean_ms"] = statistics.fmean(gaps) if gaps else 0.0
                r["gap_p50_ms"] = percentile(gaps, 0.50)
                r["gap_p99_ms"] = percentile(gaps, 0.99)
                r["server_rate"] = 1000 / r["gap_mean_ms"] if gaps else 0.0
            del r["stdout"], r["received_ns"]
            h.log(f"{name:32} p50 {r['p50_us']:>8.0f} µs  overhead {r['overhead_p50_us']:>7.1f} µs  "
                  f"CPU {r['cpu_pct']:5.1f}%  load {r['loadavg']:.2f}")
            results[name].append(r)
    return results


def med(runs, key):
    vals = [r[key] for r in runs if key in r]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def cell(triple, digits=0):
    if triple is None:
        return "–"
    m, lo, hi = triple
    f = f"{{:,.{digits}f}}"
    return f"{f.format(m)} ({f.format(lo)}–{f.format(hi)})"


def table(results):
    lines = [
        "| run | reported p50 µs | server service p50 µs | overhead p50 µs | reported p99 µs "
        "| own lateness p50 / p99 µs | server-side lateness p50 / p99 µs | gaps < ⅕ period | dropped | generator CPU % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in results.items():
        if not runs or "paced" in name:
            continue
        own = f"{cell(med(runs, 'lag_p50_us'))} / {cell(med(runs, 'lag_p99_us'))}" if "lag_p50_us" in runs[0] else "–"
        server = (f"{cell(med(runs, 'server_late_p50_us'), 1)} / {cell(med(runs, 'server_late_p99_us'), 1)}"
                  if "server_late_p50_us" in runs[0] else "–")
        lines.append(
            f"| {name} | {cell(med(runs, 'p50_us'))} | {cell(med(runs, 'server_p50_us'), 1)} "
            f"| {cell(med(runs, 'overhead_p50_us'), 1)} | {cell(med(runs, 'p99_us'))} | {own} | {server} "
            f"| {cell(med(runs, 'clumped_pct'), 1)}{'%' if 'clumped_pct' in runs[0] else ''} "
            f"| {cell(med(runs, 'dropped'))} | {cell(med(runs, 'cpu_pct'), 1)} |"
        )
    for name, runs in results.items():
        if runs and "paced" in name:
            lines += [
                "",
                f"Pacing, {name}: the server saw {cell(med(runs, 'server_rate'), 1)} requests/s "
                f"(ideal {1000 / PACE_MS:.0f}/s), gaps mean {cell(med(runs, 'gap_mean_ms'), 3)} ms, "
                f"p50 {cell(med(runs, 'gap_p50_ms'), 3)} ms, p99 {cell(med(runs, 'gap_p99_ms'), 3)} ms "
                f"(ideal {PACE_MS} ms); Klavier's own lateness p50 / p99 "
                f"{cell(med(runs, 'lag_p50_us'))} / {cell(med(runs, 'lag_p99_us'))} µs.",
            ]
    return lines


def bars(results, bar):
    closed = results.get("klavier closed, 1 user")
    for rate in RATES:
        runs = results.get(f"klavier open {rate}/s")
        if not runs:
            continue
        late = med(runs, "server_late_p99_us")[0]
        bar(late <= 50, f"dispatch at {rate}/s: server-side lateness p99 {late:.0f} µs (bar ≤ 50 µs)")
        if closed:
            d = med(runs, "p50_us")[0] - med(closed, "p50_us")[0]
            bar(d <= 50, f"open model at {rate}/s: p50 {d:+.0f} µs from the closed model's (bar ≤ 50 µs)")
        if rate == 200:
            cpu = med(runs, "cpu_pct")[0]
            bar(cpu < 5, f"generator CPU at 200/s: {cpu:.1f}% of a core (bar < 5%)")
    paced = [runs for name, runs in results.items() if "paced" in name and runs]
    if paced:
        rate = med(paced[0], "server_rate")[0]
        ideal = 1000 / PACE_MS
        bar(abs(rate - ideal) <= ideal / 100,
            f"pacing at {PACE_MS} ms: {rate:.1f} requests/s (bar {ideal:.0f}/s ± 1%)")
