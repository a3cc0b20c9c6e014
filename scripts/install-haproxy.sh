#!/usr/bin/env bash
# Installs Debian's haproxy when it is missing (the load-balancer test and .ci/run need it). Idempotent, quiet.
set -euo pipefail
command -v haproxy >/dev/null 2>&1 && exit 0
export DEBIAN_FRONTEND=noninteractive
SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo -n)
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends haproxy >/dev/null 2>&1 || {
  "${SUDO[@]}" apt-get update -qq >/dev/null 2>&1
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends haproxy >/dev/null
}
command -v haproxy >/dev/null
