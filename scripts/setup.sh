#!/usr/bin/env bash
# A fresh machine to the main job: npm packages, host packages, the Pulumi toolchain (from Go modules), the local
# multi-region OpenStack with two controller nodes, and then `pulumi up` of the `local` stack (npm run stack).
# Idempotent: every step skips what is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { echo; echo "setup: == $* =="; }

step "npm packages"
npm ci --no-audit --no-fund
npm run policy:install

step "host packages (Open vSwitch, sshd, dnsmasq, iptables, Octavia's config, HAProxy, busybox)"
bash scripts/host-deps.sh

step "Pulumi toolchain from Go modules"
toolchain_rc=0
bash scripts/toolchain.sh || toolchain_rc=$?

step "local OpenStack (Keystone, Neutron, Octavia; regions CentralRegion, RegionOne, RegionTwo) and its controller nodes"
bash lab/install.sh --with-compute
bash lab/start.sh --with-compute  # Nova for real Octavia ports; ends with the controller nodes (lab/nodes.sh start)

if [[ $toolchain_rc -ne 0 ]]; then
  cat <<'MSG'

setup: STOPPED before `pulumi up`: a part of the Pulumi toolchain could not be built (scripts/toolchain.sh printed
setup: which, and why; docs/toolchain.md). Everything else is installed and the local cloud is running.
MSG
  exit 1
fi

step "pulumi up of the local stack (the guide's management plane and both controller nodes)"
# Through the real engine in-process (no language host needed); the same as `pulumi up -s local` with the CLI.
npm run --silent stack -- up
