/**
 * The demo backends' user-data: a POSIX sh script that installs and starts a tiny web server answering every
 * request with `Welcome to <the server's IPv4 address>` (the guide's check), and registers it to start at boot.
 *
 * Assumptions, all true of cirros (the guide's image, busybox init, no systemd) and of Debian's busybox:
 * - `busybox nc` has `-ll` and `-e` (NC_SERVER + NC_EXTRA; cirros patches `-ll` in): one persistent listener
 *   that forks the reply handler per connection, so requests never meet the gap of the guide's
 *   `while true; do ... | nc -l -p 80; done` loop, and the answer is sent only after the request has been read
 *   (closing a socket with unread input resets it, and the client may lose the answer).
 * - the user-data runs once, as root (cirros: `cirros-per instance userdata`; cloud-init: per instance).
 *   Reboots are covered by what it installs: an /etc/init.d script linked into every /etc/rc[2-5].d present
 *   (cirros' rc.sysinit runs `/etc/rc3.d/S* start` after networking), or a systemd unit where systemd runs.
 * - `ip -4 addr show` and `awk` exist (busybox applets on cirros). The address is looked up per request, so the
 *   answer follows whatever address DHCP hands out after a reboot.
 *
 * `DEMO_ROOT` (unset on a VM) relocates every installed file: the host tests run the real script in a network
 * namespace without touching the host's /etc.
 */

/** Ports the demo web server listens on: always 80 (the guide), plus any other pool member port. */
export function webServerPorts(memberPorts: readonly number[]): number[] {
    const ports = new Set<number>([80, ...memberPorts]);
    for (const port of ports) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            throw new Error(`invalid web server port ${port}`);
        }
    }
    return [...ports].sort((a, b) => a - b);
}

const REPLY_HANDLER = `#!/bin/sh
# One HTTP exchange on stdin/stdout: busybox nc -ll starts this once per connection.
# Read the request up to its blank line first: closing with unread input resets the connection.
cr=$(printf '\\r')
while IFS= read -r line; do
	case "$line" in ""|"$cr") break ;; esac
done
ip=$(ip -4 addr show 2>/dev/null | awk '$1 == "inet" && $2 !~ /^127\\./ { sub("/.*", "", $2); print $2; exit }')
body="Welcome to \${ip:-unknown}"
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s\\n' $((\${#body} + 1)) "$body"
`;

function supervisor(ports: number[]): string {
    return `#!/bin/sh
# One persistent listener per port; a listener that dies is restarted after a second.
here=$(dirname "$0")
serve() {
	while :; do
		busybox nc -ll -p "$1" -e "$here/demo-http-reply" || true
		sleep 1
	done
}
for port in ${ports.join(" ")}; do
	serve "$port" &
done
wait
`;
}

// The install root is derived from the script's own path ($0 is /etc/init.d/demo-httpd or the
// /etc/rcN.d/S96-demo-httpd link: both two levels under the root), so nothing has to be baked in.
const INIT_SCRIPT = `#!/bin/sh
# demo-httpd: start/stop for sysv-style and busybox init (cirros runs /etc/rc3.d/S* start at boot).
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$root" = / ] && root=
pidfile="$root/var/run/demo-httpd.pid"
# A pid file that survived a reboot may name an unrelated process: check that it is ours.
running() {
	[ -s "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	kill -0 "$pid" 2>/dev/null && grep -q demo-httpd "/proc/$pid/cmdline" 2>/dev/null
}
case "\${1:-}" in
start)
	running && exit 0
	mkdir -p "$root/var/run" "$root/var/log"
	# Its own session and process group, so that stop takes the listeners and handlers down with it.
	setsid "$root/usr/local/sbin/demo-httpd" </dev/null >>"$root/var/log/demo-httpd.log" 2>&1 &
	echo $! >"$pidfile"
	;;
stop)
	if running; then
		kill -TERM -"$(cat "$pidfile")" 2>/dev/null || true
	fi
	rm -f "$pidfile"
	;;
restart)
	"$0" stop
	"$0" start
	;;
status)
	if running; then echo running; else echo stopped; exit 3; fi
	;;
*)
	echo "usage: $0 start|stop|restart|status" >&2
	exit 2
	;;
esac
`;

const SYSTEMD_UNIT = `[Unit]
Description=tricircle-lbaas demo web server (Welcome to <address>)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/sbin/demo-httpd
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`;

/** The user-data script of every demo backend (identical for all: each one finds its own address). */
export function renderUserData(options: { ports: readonly number[] } = { ports: [80] }): string {
    const ports = webServerPorts(options.ports);
    return `#!/bin/sh
# tricircle-lbaas demo backend: answers HTTP on port ${ports.join(", ")} with "Welcome to <its IPv4 address>",
# and comes back after a reboot. Needs busybox (nc with -ll and -e); see components/demo/userData.ts.
set -eu
root="\${DEMO_ROOT:-}"
mkdir -p "$root/usr/local/sbin" "$root/etc/init.d" "$root/var/run" "$root/var/log"

cat >"$root/usr/local/sbin/demo-http-reply" <<'DEMO_EOF'
${REPLY_HANDLER}DEMO_EOF

cat >"$root/usr/local/sbin/demo-httpd" <<'DEMO_EOF'
${supervisor(ports)}DEMO_EOF

cat >"$root/etc/init.d/demo-httpd" <<'DEMO_EOF'
${INIT_SCRIPT}DEMO_EOF

chmod 0755 "$root/usr/local/sbin/demo-http-reply" "$root/usr/local/sbin/demo-httpd" "$root/etc/init.d/demo-httpd"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	cat >/etc/systemd/system/demo-httpd.service <<'DEMO_EOF'
${SYSTEMD_UNIT}DEMO_EOF
	systemctl daemon-reload
	systemctl enable --now demo-httpd.service
else
	linked=no
	for rc in "$root/etc/rc2.d" "$root/etc/rc3.d" "$root/etc/rc4.d" "$root/etc/rc5.d"; do
		[ -d "$rc" ] || continue
		ln -sf ../init.d/demo-httpd "$rc/S96-demo-httpd"
		linked=yes
	done
	[ "$linked" = yes ] || echo "demo-httpd: no $root/etc/rc?.d: serving now, but not after a reboot" >&2
	"$root/etc/init.d/demo-httpd" start
fi
`;
}
