#!/usr/bin/env bash
# Installs what the host suite (npm run test:host) drives for real: Open vSwitch, sshd and the
# (and what the demo's host tests and actionlint use: busybox, HAProxy, curl, shellcheck)
# ssh client, dnsmasq, iptables, dhclient and Octavia's own Python package (its option
# definitions validate the rendered octavia.conf). Idempotent: with everything present it
# touches nothing, so CI re-runs and developer machines pay nothing.
set -euo pipefail

packages=(
  openvswitch-switch   # ovsdb-server, ovs-vswitchd, ovs-vsctl (userspace datapath)
  openssh-server       # sshd inside each test namespace
  openssh-client       # the test process's ssh, standing in for the provider's client
  dnsmasq-base         # DHCP server standing in for Neutron's DHCP agent
  iptables
  isc-dhcp-client      # dhclient, what the "dhcp" addressing mode runs on o-hm0
  python3-octavia      # octavia.common.config, to load the rendered file as Octavia does
  iproute2
  procps
  kmod
  sudo                 # the scripts escalate through sudo -n when the SSH user is not root
  busybox              # the demo backends' web server (cirros runs busybox nc), run for real
  haproxy              # a round-robin balancer in front of real backends for the verify command
  curl                 # what verify runs inside a namespace, as the guide's curl does
  shellcheck           # actionlint checks the workflows' run: scripts with it
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "host-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "host-deps: installing ${missing[*]}"
# Packages must not start their services (a system Open vSwitch or sshd would collide with the
# per-test daemons and with the local cloud's own OVS); policy-rc.d exit 101 forbids it. An
# operator-provided policy-rc.d is left alone and restored.
policy=/usr/sbin/policy-rc.d
saved_policy=""
if [[ -e $policy ]]; then
  saved_policy=$(mktemp)
  cp -p "$policy" "$saved_policy"
fi
restore_policy() {
  if [[ -n $saved_policy ]]; then
    mv -f "$saved_policy" "$policy"
  else
    rm -f "$policy"
  fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 0755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "host-deps: done"
