#!/usr/bin/env python3
"""Klavier vs wrk and oha on this machine: run every comparison, write RESULTS.md.

Called by bench/run.sh once the tools are installed and Klavier is built; see
bench/README.md. Servers run on core 0, generators on core 1 (taskset). Every tool
runs in turn, in an order that rotates each round, and every figure is the median
of the rounds with its min-max. Only processes this script starts are stopped, by PID.
"""

import argparse
import datetime
import http.client
import json
import re
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import compressed
import dispatch

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TOOLS = ["klavier", "wrk", "oha"]
SERVER_CORE = "0"
GENERATOR_CORE = "1"
# Servers and generators run ahead of anything else on the machine (e.g. a build), the
# same for every tool; what still interferes shows in the load average and the spread.
NICE = ["nice", "-n", "-20"]


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def loadavg():
    return float(Path("/proc/loadavg").read_text().split()[0])


# ---------------------------------------------------------------- servers


class Server:
    """A server process pinned to the server core, stopped by its own PID."""

    def __init__(self, name, argv, port, counted):
        self.name, self.port, self.counted = name, port, counted
        self.proc = subprocess.Popen(
            [*NICE, "taskset", "-c", SERVER_CORE, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
        except BaseException:
            # Never leave a server behind that nobody holds a handle to.
            self.stop()
            raise

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Accepting a connection is ready enough (an h2c-only nginx would not answer
            # an HTTP/1.1 request).
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


def start_target(klavier, port):
    return Server("klavier target", [klavier, "target", "--addr", f"127.0.0.1:{port}"], port, True)


NGINX_CONF = """
worker_processes 1;
master_process off;   # the worker is this process: one PID to pin and to stop
daemon off;
worker_rlimit_nofile 20000;
error_log {dir}/error.log error;
pid {dir}/nginx.pid;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096{listen};
        location = /api/health {{
            default_type application/json;
            return 200 '{{"status":"up"}}';
        }}
    }}
}}
"""


def start_nginx(port, workdir, h2c=False):
    """nginx on `port`; with `h2c`, speaking cleartext HTTP/2 with prior knowledge."""
    name = "nginx-h2c" if h2c else "nginx"
    conf = workdir / f"{name}.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, port=port, listen=" http2" if h2c else ""))
    return Server(name, [nginx_binary(), "-c", str(conf), "-p", str(workdir)], port, False)


def nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


class TargetProbe:
    """One keep-alive connection to the built-in target's control endpoints, opened
    before a run so it is not counted among the run's connections."""

    def __init__(self, server):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)

    def _call(self, method, path):
        self.conn.request(method, path)
        return json.loads(self.conn.getresponse().read())

    def reset(self):
        self._call("POST", "/__klavier/reset")

    def timing(self):
        return self._call("GET", "/__klavier/timing")

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- tools


def command(tool, args, url, conns, seconds, out):
    """The generator's command line (without the pinning and timing wrapper)."""
    if tool == "wrk":
        script = str(BENCH / "wrk-report.lua")
        return ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s", "-s", script, url]
    if tool == "oha":
        return ["oha", "--no-tui", "--output-format", "json", "-c", str(conns), "-z", f"{seconds}s", url]
    base = url[: url.index("/", len("http://"))]
    return [
        args.klavier, "run", str(args.profile_for[url.split("/", 3)[3]]),
        "--quiet", "--threads", "1", "--users", str(conns), "--duration", f"{seconds}s",
        "--base-url", base, "--json", str(out),
    ]


def parse(tool, stdout, out):
    """Requests, rate, errors and latency percentiles (µs) as the tool reports them."""
    if tool == "wrk":
        line = [l for l in stdout.splitlines() if l.startswith("{")][-1]
        d = json.loads(line)
        return {
            "requests": d["requests"],
            "rps": d["requests"] / (d["duration_us"] / 1e6),
            "errors": d["errors"] + d["status_errors"],
            "p50_us": d["p50_us"],
            "p99_us": d["p99_us"],
        }
    if tool == "oha":
        d = json.loads(stdout)
        s, p = d["summary"], d["latencyPercentiles"]
        ok = sum(d.get("statusCodeDistribution", {}).values())
        errors = sum(v for k, v in d.get("errorDistribution", {}).items() if "deadline" not in k)
        return {
            "requests": ok,
            "rps": s["requestsPerSec"],
            "errors": errors,
            "p50_us": (p["p50"] or 0) * 1e6,
            "p99_us": (p["p99"] or 0) * 1e6,
        }
    d = json.loads(Path(out).read_text())
    t = d["totals"]
    return {
        "requests": t["count"],
        "rps": t["rate_per_second"],
        "errors": t["failures"],
        "p50_us": t["response_time"]["p50_us"],
        "p99_us": t["response_time"]["p99_us"],
        "first_second_users": d["timeseries"][0]["users"] if d["timeseries"] else 0,
    }


def measure(args, tool, server, path, conns, seconds):
    """One run of `tool`: its figures, its CPU and peak RSS, and what the target saw."""
    out = args.workdir / f"{tool}.json"
    timefile = args.workdir / "time.txt"
    url = server.url(path)
    argv = command(tool, args, url, conns, seconds, out)
    probe = TargetProbe(server) if server.counted else None
    if probe:
        probe.reset()
    load = loadavg()
    pinned = [*NICE, "taskset", "-c", GENERATOR_CORE, *argv]
    wrapped = ["/usr/bin/time", "-f", "%U %S %M %e", "-o", str(timefile), *pinned]
    proc = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        stdout, _ = proc.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, _ = proc.communicate()
    user, system, rss_kib, wall = timefile.read_text().split()[-4:]
    result = parse(tool, stdout, out)
    result.update(
        cpu_s=float(user) + float(system),
        rss_kib=int(rss_kib),
        wall_s=float(wall),
        loadavg=load,
        command=" ".join(pinned),
    )
    result["cpu_us_per_req"] = result["cpu_s"] * 1e6 / max(result["requests"], 1)
    if probe:
        result["server"] = probe.timing()
        probe.close()
    log(f"{tool:8} {server.name:15} {path:12} c={conns:<6} {result['rps']:>10.0f} req/s "
        f"{result['cpu_us_per_req']:6.2f} µs CPU/req  {result['rss_kib']} KiB  load {load:.2f}")
    return result


def rounds(args, run_one):
    """Runs every tool `args.rounds` times, rotating the order each round."""
    results = {tool: [] for tool in args.tools}
    for r in range(args.rounds):
        order = args.tools[r % len(args.tools):] + args.tools[: r % len(args.tools)]
        for tool in order:
            results[tool].append(run_one(tool))
            time.sleep(1)  # let sockets and the server settle between tools
    return results


# ---------------------------------------------------------------- comparisons


def throughput(args, servers):
    return {
        s.name: rounds(args, lambda tool, s=s: measure(args, tool, s, "/api/health", 64, args.duration))
        for s in servers
    }


H2_TOOLS = ["klavier", "h2load", "oha"]


# How 64 requests at a time are carried: (connections, streams per connection).
H2_LAYOUTS = [(64, 1), (8, 8)]


def h2(args, servers):
    """Klavier over h2c against h2load (and oha --http2 where installed), alternating:
    64 connections of one stream each, and 64 users sharing 8 connections."""
    tools = [t for t in H2_TOOLS if t == "klavier" or shutil.which(t)]
    results = {}
    for server in servers:
        for conns, streams in H2_LAYOUTS:
            key = f"{server.name}, {conns} connections × {streams} stream{'s' if streams > 1 else ''}"
            results[key] = {tool: [] for tool in tools}
            for r in range(args.rounds):
                for tool in tools[r % len(tools):] + tools[: r % len(tools)]:
                    results[key][tool].append(h2_measure(args, tool, server, conns, streams))
                    time.sleep(1)
    return results


def h2_measure(args, tool, target, conns, streams):
    out = args.workdir / f"{tool}-h2.json"
    timefile = args.workdir / "time.txt"
    url = target.url("/api/health")
    if tool == "h2load":
        argv = ["h2load", "-c", str(conns), "-m", str(streams), "-t", "1", "-D", str(args.duration), url]
    elif tool == "oha":
        argv = ["oha", "--no-tui", "--output-format", "json", "--http2", "-c", str(conns),
                "-p", str(streams), "-z", f"{args.duration}s", url]
    else:
        base = url[: url.index("/", len("http://"))]
        profile = "h2c.toml" if streams == 1 else "h2c-shared.toml"
        argv = [args.klavier, "run", str(BENCH / "profiles" / profile), "--quiet", "--threads", "1",
                "--users", str(conns * streams), "--duration", f"{args.duration}s", "--base-url", base,
                "--json", str(out)]
    load = loadavg()
    pinned = [*NICE, "taskset", "-c", GENERATOR_CORE, *argv]
    wrapped = ["/usr/bin/time", "-f", "%U %S %M %e", "-o", str(timefile), *pinned]
    stdout = subprocess.run(wrapped, capture_output=True, text=True, timeout=args.duration + 60).stdout
    user, system, rss_kib, wall = timefile.read_text().split()[-4:]
    if tool == "h2load":
        done = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", stdout).group(1))
        rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", stdout).group(1))
        errors = int(re.search(r"(\d+) failed, (\d+) errored", stdout).group(1))
    elif tool == "oha":
        d = json.loads(stdout)
        done = sum(d.get("statusCodeDistribution", {}).values())
        rps = d["summary"]["requestsPerSec"]
        # Requests cut by the end of the run ("deadline") are not errors, as above.
        errors = sum(v for k, v in d.get("errorDistribution", {}).items() if "deadline" not in k)
    else:
        d = json.loads(out.read_text())
        done, rps, errors = d["totals"]["count"], d["totals"]["rate_per_second"], d["totals"]["failures"]
    cpu = float(user) + float(system)
    result = {"requests": done, "rps": rps, "errors": errors, "cpu_s": cpu, "rss_kib": int(rss_kib),
              "cpu_us_per_req": cpu * 1e6 / max(done, 1), "loadavg": load, "command": " ".join(pinned)}
    log(f"{tool:8} h2c {target.name} {conns}×{streams} {rps:>10.0f} req/s "
        f"{result['cpu_us_per_req']:6.2f} µs CPU/req load {load:.2f}")
    return result


def h2_table(results):
    lines = ["| tool | requests/s | generator CPU µs/request | peak RSS KiB | errors | req/s vs h2load | CPU/req vs h2load |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    peer = results.get("h2load")
    for tool, runs in results.items():
        rps, cpu = med(runs, "rps"), med(runs, "cpu_us_per_req")
        vs = ([f"{ratio(rps[0], med(peer, 'rps')[0]):.2f}×", f"{ratio(cpu[0], med(peer, 'cpu_us_per_req')[0]):.2f}×"]
              if peer else ["–", "–"])
        lines.append(f"| {tool} | {fmt(rps)} | {fmt(cpu, 2)} | {fmt(med(runs, 'rss_kib'))} "
                     f"| {sum(r['errors'] for r in runs)} | {' | '.join(vs)} |")
    return lines


def steady_rate(server, users):
    """The rate `users` closed-loop connections achieve as the server sees it: each
    connection sends one request per cycle, and the mean gap between two requests on
    one connection is the cycle. Unlike counting completions in a window, this does
    not depend on where the window falls between the bursts of synchronized users."""
    gap_us = server["request_gap_us"]["mean"]
    return users * 1e6 / gap_us if gap_us else 0.0


def scale(args, target):
    def one(tool):
        r = measure(args, tool, target, "/delay/1000", args.users, args.duration)
        r["steady_rps"] = steady_rate(r["server"], args.users)
        r["kib_per_user"] = r["rss_kib"] / args.users
        return r
    return rounds(args, one)


def accuracy(args, target):
    def one(tool):
        r = measure(args, tool, target, "/delay/1", 1, args.accuracy_duration)
        svc = r["server"]["service_time_us"]
        r["overhead_p50_us"] = r["p50_us"] - svc["p50"]
        r["overhead_p99_us"] = r["p99_us"] - svc["p99"]
        return r
    return rounds(args, one)


def long_run(args, target):
    return [measure(args, "klavier", target, "/api/health", 64, args.long_duration)]


# ---------------------------------------------------------------- report


def med(runs, key):
    vals = [r[key] for r in runs]
    return statistics.median(vals), min(vals), max(vals)


def fmt(triple, digits=0, unit=""):
    m, lo, hi = triple
    f = f"{{:,.{digits}f}}"
    return f"{f.format(m)}{unit} ({f.format(lo)}–{f.format(hi)})"


def ratio(a, b):
    return a / b if b else float("nan")


def throughput_table(results):
    lines = [
        "| server | tool | requests/s | generator CPU µs/request | peak RSS KiB | p50 µs | p99 µs | errors | req/s vs wrk | CPU/req vs wrk | req/s vs oha | CPU/req vs oha |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for server, by_tool in results.items():
        wrk = by_tool.get("wrk")
        oha = by_tool.get("oha")
        for tool, runs in by_tool.items():
            rps, cpu = med(runs, "rps"), med(runs, "cpu_us_per_req")
            cells = []
            for peer in (wrk, oha):
                if peer:
                    cells += [f"{ratio(rps[0], med(peer, 'rps')[0]):.2f}×",
                              f"{ratio(cpu[0], med(peer, 'cpu_us_per_req')[0]):.2f}×"]
                else:
                    cells += ["–", "–"]
            lines.append(
                f"| {server} | {tool} | {fmt(rps)} | {fmt(cpu, 2)} | {fmt(med(runs, 'rss_kib'))} "
                f"| {fmt(med(runs, 'p50_us'))} | {fmt(med(runs, 'p99_us'))} "
                f"| {sum(r['errors'] for r in runs)} | {' | '.join(cells)} |"
            )
    return lines


def scale_table(results, users):
    lines = [
        f"| tool | server-side rate (ideal {users:,}/s) | % of ideal | rate the tool reports | peak RSS KiB | KiB per user | connections opened in (ms, server-side) | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for tool, runs in results.items():
        for r in runs:
            r["pct_ideal"] = 100 * r["steady_rps"] / users
            r["accept_span_ms"] = r["server"]["accept_span_ms"]
        lines.append(
            f"| {tool} | {fmt(med(runs, 'steady_rps'))} | {fmt(med(runs, 'pct_ideal'), 1, '%')} "
            f"| {fmt(med(runs, 'rps'))} | {fmt(med(runs, 'rss_kib'))} | {fmt(med(runs, 'kib_per_user'), 2)} "
            f"| {fmt(med(runs, 'accept_span_ms'))} | {sum(r['errors'] for r in runs)} |"
        )
    return lines


def accuracy_table(results):
    lines = [
        "| tool | p50 µs | p99 µs | server p50 µs | server p99 µs | overhead p50 µs | overhead p99 µs | requests/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for tool, runs in results.items():
        for r in runs:
            r["server_p50"] = r["server"]["service_time_us"]["p50"]
            r["server_p99"] = r["server"]["service_time_us"]["p99"]
        lines.append(
            f"| {tool} | {fmt(med(runs, 'p50_us'))} | {fmt(med(runs, 'p99_us'))} "
            f"| {fmt(med(runs, 'server_p50'), 1)} | {fmt(med(runs, 'server_p99'), 1)} "
            f"| {fmt(med(runs, 'overhead_p50_us'), 1)} | {fmt(med(runs, 'overhead_p99_us'), 1)} "
            f"| {fmt(med(runs, 'rps'))} |"
        )
    return lines


def bars(res, args):
    out = []

    def bar(ok, text):
        out.append(f"- {'**met**' if ok else '**not met**'}: {text}")

    for server, by_tool in res.get("throughput", {}).items():
        if "klavier" in by_tool and "wrk" in by_tool:
            k, w = by_tool["klavier"], by_tool["wrk"]
            r = ratio(med(k, "rps")[0], med(w, "rps")[0])
            bar(r >= 1.0, f"throughput against {server}: {r:.2f}× wrk (bar ≥ 1.0×)")
            c = ratio(med(k, "cpu_us_per_req")[0], med(w, "cpu_us_per_req")[0])
            bar(c <= 1.0, f"generator CPU per request against {server}: {c:.2f}× wrk's (bar ≤ 1.0×)")
    if "scale" in res and "klavier" in res["scale"]:
        k = res["scale"]["klavier"]
        pct = med(k, "pct_ideal")[0]
        bar(pct >= 95, f"scale: {args.users:,} users at {pct:.1f}% of the ideal rate (bar ≥ 95%)")
        kib = med(k, "kib_per_user")[0]
        bar(kib <= 12, f"scale: {kib:.2f} KiB peak RSS per user (bar ≤ 12 KiB)")
        span = med(k, "accept_span_ms")[0]
        users = min(r["first_second_users"] for r in k)
        bar(span <= 1000 and users == args.users,
            f"scale: all users connected within {span:.0f} ms (server-side), {users:,} active in the first second (bar ≤ 1 s)")
    if "accuracy" in res and "klavier" in res["accuracy"]:
        o = med(res["accuracy"]["klavier"], "overhead_p50_us")[0]
        bar(o <= 30, f"overhead: Klavier p50 is {o:.1f} µs above the server's service time (bar ≤ 30 µs)")
    if "dispatch" in res:
        dispatch.bars(res["dispatch"], bar)
    if "long" in res and "throughput" in res:
        ten = med(res["throughput"]["klavier target"]["klavier"], "rss_kib")[0]
        sixty = res["long"][0]["rss_kib"]
        bar(sixty <= 1.1 * ten, f"memory flat: {sixty:,} KiB after {args.long_duration} s vs {ten:,.0f} KiB after {args.duration} s ({sixty / ten:.2f}×, bar ≤ 1.10×)")
    return out


def versions(args):
    def first_line(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not installed"
    return {
        "klavier": first_line([args.klavier, "--version"]),
        "wrk": first_line(["wrk", "-v"]),
        "oha": first_line(["oha", "--version"]),
        "nginx": first_line(["nginx", "-v"]),
        "rustc": first_line(["rustc", "--version"]),
    }


def machine():
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return f"{os.cpu_count()} × {model}, {int(mem) // 1024} MiB RAM, Linux {platform.release()}"


def write_report(args, res, started, elapsed):
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    v = versions(args)
    loads = [r["loadavg"] for runs in iter_runs(res) for r in runs]
    md = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.sh` on {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} min, commit `{commit}`.",
        f"Machine: {machine()}. Server pinned to core {SERVER_CORE}, generator to core {GENERATOR_CORE}.",
        "Tools: " + "; ".join(f"{k}: `{val}`" for k, val in v.items()) + ".",
        f"Every figure is the median of {args.rounds} rounds (tools alternating, order rotating each round) "
        "with the min–max in parentheses. CPU and peak RSS from `/usr/bin/time -v` of the generator.",
        f"1-minute load average before each run: {min(loads, default=0):.2f}–{max(loads, default=0):.2f} "
        "(the machine is shared; above ~1.0 something else was running and the spread widens).",
        "",
    ]
    if "throughput" in res:
        md += [f"## 1. Throughput and cost: 64 connections, {args.duration} s, `GET /api/health`", ""]
        md += throughput_table(res["throughput"]) + [""]
    if "chunked" in res:
        md += [f"## 1b. Chunked responses: 64 connections, {args.duration} s, "
               "`GET /api/chunked?chunks=8&size=1024` (8 chunks of 1 KiB, no Content-Length)", ""]
        md += throughput_table(res["chunked"]) + [""]
    if "h2" in res:
        md += [f"## 1c. HTTP/2 (h2c, prior knowledge): 64 requests at a time, {args.duration} s, "
               "`GET /api/health`", "",
               "Klavier with `http = \"h2c\"` against h2load (nghttp2) and, where installed, "
               "`oha --http2`: 64 connections of one stream each (`-c 64 -m 1`; Klavier: 64 users), "
               "and 64 streams over 8 connections (`-c 8 -m 8`; Klavier: 64 users with "
               "`connections = 8`).", ""]
        for layout, results in res["h2"].items():
            md += [f"### {layout}", ""] + h2_table(results) + [""]
    if "gzip" in res:
        md += [f"## 1d. A compressed body checked: 64 connections, {args.duration} s, nginx `gzip on`, "
               "an 8 KiB JSON document", "",
               "Each request's body is decompressed and searched for a string near its end: Klavier "
               "with `expect = { body_contains = … }`, Locust (`FastHttpUser`, `in response.text`); "
               "Klavier without the check shows what decoding costs (nothing: it decodes only for a check).", ""]
        md += compressed.table(sys.modules[__name__], res["gzip"]) + [""]
    if "scale" in res:
        md += [f"## 2. Scale: {args.users:,} users, {args.duration} s, `GET /delay/1000` on the built-in target", "",
               "The server-side rate is users ÷ the mean time between two requests on one connection, "
               "measured by the target, so every tool is measured the same way (a tool's own rate also "
               "depends on how it counts requests cut by the end).", ""]
        md += scale_table(res["scale"], args.users) + [""]
    if "accuracy" in res:
        md += [f"## 3. Accuracy: 1 connection, {args.accuracy_duration} s, `GET /delay/1` on the built-in target", "",
               "Overhead = the tool's latency percentile minus the target's own service-time percentile "
               "(`/__klavier/timing`, measured from the parsed request head to the response handed to hyper) in the same run.", ""]
        md += accuracy_table(res["accuracy"]) + [""]
    if "dispatch" in res:
        md += [f"## 5. Dispatch: the open model's punctuality and overhead, {args.dispatch_duration} s, "
               "`GET /api/health` on the built-in target", "",
               "Overhead = reported response-time p50 minus the target's own service-time p50. "
               "Server-side lateness: arrival k should reach the target at t0 + k/rate; its receive time "
               "(`/__klavier/received`) minus k/rate, less the smallest such value in the run, is how much "
               "later it came than the most punctual arrival. Own lateness: what Klavier reports "
               "(`generator.schedule_lag`). Gaps < ⅕ period: arrivals that reached the server in clumps.", ""]
        md += dispatch.table(res["dispatch"]) + [""]
    if "long" in res:
        r = res["long"][0]
        md += [f"## 4. Long run: Klavier, 64 users, {args.long_duration} s, `GET /api/health` on the built-in target", "",
               f"Peak RSS {r['rss_kib']:,} KiB after {args.long_duration} s at {r['rps']:,.0f} requests/s "
               f"({r['cpu_us_per_req']:.2f} µs CPU/request).", ""]
    md += ["## Bars (DESIGN.md §8, issue 5)", ""] + bars(res, args) + [""]
    md += ["## Commands", "", "```sh", "bench/run.sh   # everything below, then this file", ""]
    seen = set()
    for runs in iter_runs(res):
        for r in runs[:1]:
            c = r["command"].replace(str(ROOT) + "/", "").replace(str(args.workdir), "$TMP")
            if c not in seen:
                seen.add(c)
                md.append(c)
    md += ["```", ""]
    if args.notes:
        md += ["## Notes", ""] + [f"- {n}" for n in args.notes] + [""]
    args.out.write_text("\n".join(md))
    log(f"wrote {args.out}")


def iter_runs(res):
    for key, val in res.items():
        if key in ("throughput", "chunked", "h2"):
            for by_tool in val.values():
                yield from by_tool.values()
        elif key == "long":
            yield val
        elif key == "dispatch":
            yield from (runs for runs in val.values() if runs)
        else:
            yield from val.values()


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--klavier", required=True, help="the release binary")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--accuracy-duration", type=int, default=5)
    p.add_argument("--long-duration", type=int, default=60)
    p.add_argument("--dispatch-duration", type=int, default=10)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--only", action="append", choices=["throughput", "chunked", "h2", "gzip", "scale", "accuracy", "long", "dispatch"])
    p.add_argument("--locust", help="Locust's command, for the gzip comparison (bench/run.sh installs it)")
    p.add_argument("--servers", default="target,nginx")
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    p.add_argument("--raw", type=Path, default=BENCH / "out" / "raw.json")
    p.add_argument("--note", dest="notes", action="append", default=[])
    args = p.parse_args()
    args.tools = [t for t in args.tools.split(",") if t == "klavier" or shutil.which(t)]
    args.profile_for = {
        "api/health": BENCH / "profiles" / "health.toml",
        "delay/1000": BENCH / "profiles" / "delay1000.toml",
        "delay/1": BENCH / "profiles" / "delay1.toml",
        "api/chunked?chunks=8&size=1024": BENCH / "profiles" / "chunked.toml",
    }
    only = args.only or ["throughput", "chunked", "h2", "gzip", "scale", "accuracy", "long", "dispatch"]
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    res = {}
    with tempfile.TemporaryDirectory(prefix="klavier-bench-") as tmp:
        args.workdir = Path(tmp)
        target = start_target(args.klavier, 18080)
        servers = [target]
        try:
            if "nginx" in args.servers and "throughput" in only:
                servers.append(start_nginx(18081, args.workdir))
            if "throughput" in only:
                res["throughput"] = throughput(args, servers)
            if "chunked" in only:
                res["chunked"] = {
                    "klavier target": rounds(args, lambda tool: measure(
                        args, tool, target, "/api/chunked?chunks=8&size=1024", 64, args.duration))
                }
            if "h2" in only:
                h2c_nginx = start_nginx(18082, args.workdir, h2c=True)
                servers.append(h2c_nginx)
                res["h2"] = h2(args, [target, h2c_nginx])
            if "gzip" in only:
                res["gzip"] = compressed.measure_all(sys.modules[__name__], args)
            if "scale" in only:
                res["scale"] = scale(args, target)
            if "accuracy" in only:
                res["accuracy"] = accuracy(args, target)
            if "long" in only:
                res["long"] = long_run(args, target)
            if "dispatch" in only:
                res["dispatch"] = dispatch.measure_all(sys.modules[__name__], args, target)
        finally:
            for s in servers:
                s.stop()
        args.raw.parent.mkdir(parents=True, exist_ok=True)
        args.raw.write_text(json.dumps(res, indent=1))
        write_report(args, res, started, time.monotonic() - t0)


if __name__ == "__main__":
    main()
