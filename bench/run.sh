#!/usr/bin/env bash
# Klavier vs wrk and oha on this machine: installs what is missing, builds Klavier in
# release mode, runs every comparison (bench/harness.py) and writes bench/RESULTS.md.
# About 9 minutes once the tools are installed. Never run in CI: it measures the
# machine it runs on (CI only builds the criterion benches with `cargo bench --no-run`).
#
#   bench/run.sh                       # everything, 3 rounds
#   bench/run.sh --only throughput     # one comparison (also: scale, accuracy, long)
#   bench/run.sh --rounds 5 --duration 20
#
# Every option is passed on to bench/harness.py (see `python3 bench/harness.py --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${CI:-}" = "true" ]; then
  echo "bench/run.sh measures this machine; it does not run in CI" >&2
  exit 2
fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -x /usr/bin/time ] || missing+=(time)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
export PATH="$PATH:/usr/sbin:${CARGO_HOME:-$HOME/.cargo}/bin"

notes=()
if ! command -v oha >/dev/null 2>&1; then
  echo "installing oha (cargo install oha --locked; about 10 minutes on two cores, once)" >&2
  if ! cargo install oha --locked; then
    notes+=(--note "oha could not be installed (cargo install oha --locked failed): compared with wrk only")
  fi
fi

# Locust, the lab peer of the compressed-body comparison, in a virtualenv of its own at
# the version bench/requirements.txt pins (from the Python package registry).
venv=bench/.venv
if ! cmp -s bench/requirements.txt "$venv/requirements.txt" || ! "$venv/bin/locust" --version >/dev/null 2>&1; then
  rm -rf "$venv"
  if python3 -m venv "$venv" &&
     "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt; then
    cp bench/requirements.txt "$venv/requirements.txt"
  else
    notes+=(--note "Locust could not be installed: the compressed-body comparison shows Klavier only")
  fi
fi
if [ -x "$venv/bin/locust" ]; then notes+=(--locust "$venv/bin/locust"); fi

cargo build --release --quiet -p klavier
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
klavier="$target_dir/release/klavier"

# 10,000 users need 10,000 sockets in the generator and as many in the server.
hard="$(ulimit -Hn)"
if [ "$hard" = unlimited ] || [ "$hard" -gt 1048576 ]; then hard=1048576; fi
ulimit -n "$hard"
if [ "$hard" -lt 10500 ]; then
  notes+=(--note "open-file limit is $hard (hard limit): the 10,000-user test needs about 10,100 in each of server and generator")
fi

exec python3 bench/harness.py --klavier "$klavier" "${notes[@]}" "$@"
