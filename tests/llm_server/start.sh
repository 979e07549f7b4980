#!/usr/bin/env bash
# start.sh: starts the real local OpenAI-compatible server for dossier's LLM integration test —
# llama-cpp-python's server with SmolLM2-135M-Instruct (installed by setup.sh) — in the
# background on 127.0.0.1:$PORT, waits until GET /v1/models answers, and prints the base URL
# (the value for DOSSIER_TEST_LLM_URL). If a server started by this script already answers on
# that port, it is reused. Stop it with stop.sh.
#
#   PORT               port (default 8765)
#   DOSSIER_CI_CACHE   cache root as in setup.sh (default $HOME/.cache/dossier-ci)
#   DOSSIER_TEST_LLM_KEY  API key the server demands (default dossier-test-key); the test sends it
#   LLM_SERVER_WAIT    seconds to wait for the server (default 180)
#   LLM_SERVER_THREADS CPU threads for the model (default 1)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
port="${PORT:-8765}"
threads="${LLM_SERVER_THREADS:-1}"
key="${DOSSIER_TEST_LLM_KEY:-dossier-test-key}"
cache="${DOSSIER_CI_CACHE:-$HOME/.cache/dossier-ci}"
venv="$cache/llm-venv"
pidfile="$cache/llm-server-$port.pid"
log="$cache/llm-server-$port.log"
url="http://127.0.0.1:$port/v1"

answers() {
    "$venv/bin/python" - "$url/models" "$key" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
try:
    with urllib.request.urlopen(req, timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

model="$(bash "$here/setup.sh")"

if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
    echo "llm_server/start: reusing server pid $(cat "$pidfile") on $url" >&2
    echo "$url"
    exit 0
fi

# n_ctx 8192: SmolLM2's window; a Chinese article tokenizes to several thousand tokens.
# One thread: ggml's threads spin at barriers, and with 2 threads on 2 shared cores a busy
# machine (a cargo build beside the test) slows generation tenfold; 1 thread degrades gently.
nohup "$venv/bin/python" -m llama_cpp.server \
    --model "$model" --model_alias smollm2-135m \
    --host 127.0.0.1 --port "$port" \
    --n_ctx 8192 --n_threads "$threads" --n_threads_batch "$threads" \
    --api_key "$key" \
    >"$log" 2>&1 &
echo $! >"$pidfile"

deadline=$(( $(date +%s) + ${LLM_SERVER_WAIT:-180} ))
until answers; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "llm_server/start: the server exited; its log ($log) ends with:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    if (( $(date +%s) > deadline )); then
        echo "llm_server/start: no answer on $url/models after ${LLM_SERVER_WAIT:-180} s; log: $log" >&2
        kill "$(cat "$pidfile")" 2>/dev/null || true
        exit 1
    fi
    sleep 1
done
echo "llm_server/start: server pid $(cat "$pidfile") ready on $url (log: $log)" >&2
echo "$url"
