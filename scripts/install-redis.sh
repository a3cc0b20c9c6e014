#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing (the shared-store tests and .ci/run need it). Idempotent, quiet.
set -euo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
export DEBIAN_FRONTEND=noninteractive
SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo -n)
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1 || {
  "${SUDO[@]}" apt-get update -qq >/dev/null 2>&1
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null
}
command -v redis-server >/dev/null
