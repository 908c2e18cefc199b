#!/usr/bin/env bash
# PID 1 of a controller node: a network namespace (made by the caller, with the node end of a veth pair in it) plus
# the private mount namespace `ip netns exec` gives. /etc and /usr/local become overlays whose writes land in the
# node's folder, never on this machine's files; /var/lib and /run are folders of the node. Inside: the node's own
# Open vSwitch (userspace datapath, bridge br-int), its own iptables tables, an SSH user with passwordless sudo (as
# devstack's "stack"), an octavia.conf as packages install it, and sshd on the veth address. Ends by writing its pid
# to $NODE_DIR/anchor.pid and sleeping: the node lives as long as this process.
# Used by the host-test harness (test/host/harness.ts) and by the local cloud's nodes (nodes.sh).
#
#   ip netns exec NS env NODE_DIR=... NODE_ADDR=169.254.78.2 NODE_PREFIX=30 NODE_VETH=... NODE_USER=stack \
#     [NODE_HOSTNAME=controller-1] [NODE_OCTAVIA_USER=octavia] [NODE_OCTAVIA_CONF=/etc/octavia/octavia.conf \
#      NODE_OCTAVIA_CONF_OWNER=0:65534 NODE_OCTAVIA_CONF_MODE=640] bash init.sh
# NODE_OCTAVIA_USER: a system user (and group) Octavia runs as, as packages make it (`root:octavia 0640` then names
# it in NODE_OCTAVIA_CONF_OWNER).
# Expects $NODE_DIR/ssh/host_ed25519 and $NODE_DIR/ssh/authorized_keys, and, with NODE_OCTAVIA_CONF,
# $NODE_DIR/octavia.conf.baseline. A restart of a stopped node (same folder) keeps what the node wrote, as a reboot
# keeps the disk: only /run starts empty.
set -euo pipefail
D="${NODE_DIR:?NODE_DIR: the node folder}"
: "${NODE_ADDR:?}" "${NODE_PREFIX:?}" "${NODE_VETH:?}" "${NODE_USER:?}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# A node name of its own (UTS namespace), so that `hostname` on the node is the Neutron binding host.
if [ -n "${NODE_HOSTNAME:-}" ] && [ -z "${NODE_UTS_DONE:-}" ]; then
  export NODE_UTS_DONE=1
  exec unshare --uts -- bash "${BASH_SOURCE[0]}"
fi
[ -n "${NODE_HOSTNAME:-}" ] && hostname "$NODE_HOSTNAME"

mkdir -p "$D"/upper/etc "$D"/upper/usrlocal "$D"/work/etc "$D"/work/usrlocal "$D"/varlib "$D"/run "$D"/ovs "$D"/log "$D"/ssh
rm -rf "${D:?}"/run/* # a restart is a reboot: nothing of /run survives
mount --make-rprivate /
# /etc is this machine's, frozen at node start (other work may install packages meanwhile).
rm -rf "$D/lower-etc"
cp -a /etc "$D/lower-etc"
mount -t overlay overlay -o "lowerdir=$D/lower-etc,upperdir=$D/upper/etc,workdir=$D/work/etc" /etc
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$D/upper/usrlocal,workdir=$D/work/usrlocal" /usr/local
mount --bind "$D/varlib" /var/lib
mount --bind "$D/run" /run
mkdir -p /run/sshd /run/openvswitch
# sudo resolves the host's own name.
if [ -n "${NODE_HOSTNAME:-}" ] && ! grep -qw -- "$NODE_HOSTNAME" /etc/hosts; then
  printf '127.0.1.1 %s\n' "$NODE_HOSTNAME" >>/etc/hosts
fi
# A controller has its filter tables loaded long before the stack runs.
for t in iptables ip6tables; do $t -w -N TLB-HARNESS && $t -w -X TLB-HARNESS; done
ip link set lo up
ip addr replace "$NODE_ADDR/$NODE_PREFIX" dev "$NODE_VETH"
ip link set "$NODE_VETH" up
NODE_DIR="$D" bash "$HERE/ovs-start.sh"
ovs-vsctl --timeout=20 --may-exist add-br br-int -- set Bridge br-int datapath_type=netdev
id "$NODE_USER" >/dev/null 2>&1 || useradd -M -d "/var/lib/$NODE_USER" -s /bin/sh "$NODE_USER"
usermod -p '*' "$NODE_USER" # not locked: sshd without PAM refuses locked accounts
mkdir -p "/var/lib/$NODE_USER" && chown "$NODE_USER:" "/var/lib/$NODE_USER"
printf '%s ALL=(root) NOPASSWD: ALL\n' "$NODE_USER" >"/etc/sudoers.d/$NODE_USER"
chmod 0440 "/etc/sudoers.d/$NODE_USER"
if [ -n "${NODE_OCTAVIA_USER:-}" ] && ! id "$NODE_OCTAVIA_USER" >/dev/null 2>&1; then
  useradd --system --user-group -M -d /var/lib/octavia -s /usr/sbin/nologin "$NODE_OCTAVIA_USER"
fi
if [ -n "${NODE_OCTAVIA_CONF:-}" ] && [ ! -e "$D/octavia.conf.installed" ]; then
  mkdir -p "$(dirname "$NODE_OCTAVIA_CONF")"
  cp "$D/octavia.conf.baseline" "$NODE_OCTAVIA_CONF"
  chown "${NODE_OCTAVIA_CONF_OWNER:-0:0}" "$NODE_OCTAVIA_CONF"
  chmod "${NODE_OCTAVIA_CONF_MODE:-640}" "$NODE_OCTAVIA_CONF"
  : >"$D/octavia.conf.installed" # once, as a package would: later boots keep what the stack wrote
fi
cat >"$D/ssh/sshd_config" <<CONF
ListenAddress $NODE_ADDR:22
HostKey $D/ssh/host_ed25519
AuthorizedKeysFile $D/ssh/authorized_keys
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers root $NODE_USER
MaxStartups 50
LogLevel VERBOSE
CONF
/usr/sbin/sshd -f "$D/ssh/sshd_config" -E "$D/log/sshd.log"
echo $$ >"$D/anchor.pid"
exec sleep infinity
