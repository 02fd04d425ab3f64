"""Comparison 1d of bench/harness.py: a compressed body that a check must read.

nginx (`gzip on`) serves an 8 KiB JSON document gzip-compressed; every request's
decoded body is checked for a string near its end, so the generator pays for
decompression and the check. Klavier (`expect.body_contains`) against Locust
(`FastHttpUser`, a lab peer in Python, checking `in response.text`), with Klavier
without the check beside them: what the decoding costs. Figures: requests/s and the
generator's CPU µs per request, from /usr/bin/time as everywhere else.
"""

import csv
import json
import subprocess
import time
from pathlib import Path

PORT = 18083
NEEDLE = "the-end-of-the-document"

NGINX_CONF = """
worker_processes 1;
master_process off;
daemon off;
error_log {dir}/gzip-error.log error;
pid {dir}/gzip-nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    gzip on;
    gzip_types application/json;
    gzip_min_length 0;
    types {{ application/json json; }}
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/gzip-www;
    }}
}}
"""

PROFILE = """[target]
base_url = "http://127.0.0.1:{port}"
[scenarios.doc]
[[scenarios.doc.requests]]
path = "/data.json"
{check}
[timings]
duration = "10s"
"""

LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self):
        with self.client.get("/data.json", catch_response=True) as response:
            if "{needle}" not in response.text:
                response.failure("needle not found")
"""


def document():
    """About 8 KiB of JSON that compresses as real API answers do, the needle last."""
    items = [{"id": i, "name": f"item {i}", "price": round(i * 1.37, 2), "tags": ["a", "b"]}
             for i in range(110)]
    return json.dumps({"items": items, "tail": NEEDLE})


def start_server(h, workdir):
    www = workdir / "gzip-www"
    www.mkdir(exist_ok=True)
    (www / "data.json").write_text(document())
    conf = workdir / "gzip-nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, port=PORT))
    return h.Server("nginx-gzip", [h.nginx_binary(), "-c", str(conf), "-p", str(workdir)], PORT, False)


def measure(h, args, tool):
    workdir = args.workdir
    timefile = workdir / "time.txt"
    url = f"http://127.0.0.1:{PORT}"
    if tool == "locust":
        locustfile = workdir / "locustfile.py"
        locustfile.write_text(LOCUSTFILE.format(needle=NEEDLE))
        prefix = workdir / "locust"
        argv = [args.locust, "-f", str(locustfile), "--headless", "-u", "64", "-r", "64",
                "-t", f"{args.duration}s", "--host", url, "--only-summary", "--csv", str(prefix),
                "--loglevel", "ERROR"]
    else:
        check = f'expect = {{ body_contains = "{NEEDLE}" }}' if tool == "klavier" else ""
        profile = workdir / f"{tool}.toml"
        profile.write_text(PROFILE.format(port=PORT, check=check))
        out = workdir / f"{tool}.json"
        argv = [args.klavier, "run", str(profile), "--quiet", "--threads", "1", "--users", "64",
                "--duration", f"{args.duration}s", "--json", str(out)]
    load = h.loadavg()
    pinned = [*h.NICE, "taskset", "-c", h.GENERATOR_CORE, *argv]
    wrapped = ["/usr/bin/time", "-f", "%U %S %M %e", "-o", str(timefile), *pinned]
    subprocess.run(wrapped, capture_output=True, text=True, timeout=args.duration + 120)
    user, system, rss_kib, _wall = timefile.read_text().split()[-4:]
    if tool == "locust":
        with open(f"{prefix}_stats.csv", newline="") as f:
            total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
        done, errors = int(total["Request Count"]), int(total["Failure Count"])
        rps = float(total["Requests/s"])
    else:
        t = json.loads(out.read_text())["totals"]
        done, errors, rps = t["count"], t["failures"] + t.get("check_failures", 0), t["rate_per_second"]
    cpu = float(user) + float(system)
    result = {"requests": done, "rps": rps, "errors": errors, "cpu_s": cpu, "rss_kib": int(rss_kib),
              "cpu_us_per_req": cpu * 1e6 / max(done, 1), "loadavg": load, "command": " ".join(pinned)}
    h.log(f"{tool:16} gzip {rps:>10.0f} req/s {result['cpu_us_per_req']:7.2f} µs CPU/req load {load:.2f}")
    return result


def measure_all(h, args):
    tools = ["klavier", "klavier (no check)"] + (["locust"] if args.locust else [])
    server = start_server(h, args.workdir)
    try:
        results = {tool: [] for tool in tools}
        for r in range(args.rounds):
            for tool in tools[r % len(tools):] + tools[: r % len(tools)]:
                results[tool].append(measure(h, args, tool))
                time.sleep(1)
        return results
    finally:
        server.stop()


def table(h, results):
    lines = ["| tool | requests/s | generator CPU µs/request | peak RSS KiB | errors | CPU/req vs Locust |",
             "| --- | --- | --- | --- | --- | --- |"]
    peer = results.get("locust")
    for tool, runs in results.items():
        rps, cpu = h.med(runs, "rps"), h.med(runs, "cpu_us_per_req")
        vs = f"{h.ratio(cpu[0], h.med(peer, 'cpu_us_per_req')[0]):.3f}×" if peer else "–"
        lines.append(f"| {tool} | {h.fmt(rps)} | {h.fmt(cpu, 2)} | {h.fmt(h.med(runs, 'rss_kib'))} "
                     f"| {sum(r['errors'] for r in runs)} | {vs} |")
    return lines
