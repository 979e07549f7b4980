#!/usr/bin/env bash
# stop.sh: stops the server that start.sh started on $PORT (default 8765), by its recorded pid.
set -euo pipefail
port="${PORT:-8765}"
cache="${DOSSIER_CI_CACHE:-$HOME/.cache/dossier-ci}"
pidfile="$cache/llm-server-$port.pid"
if [[ -f "$pidfile" ]]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$pidfile"
fi
