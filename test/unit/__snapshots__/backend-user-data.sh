#!/bin/sh
# tricircle-lbaas demo backend: answers HTTP on port 80 with "Welcome to <its IPv4 address>",
# and comes back after a reboot. Needs busybox (nc with -ll and -e); see components/demo/userData.ts.
set -eu
root="${DEMO_ROOT:-}"
mkdir -p "$root/usr/local/sbin" "$root/etc/init.d" "$root/var/run" "$root/var/log"

cat >"$root/usr/local/sbin/demo-http-reply" <<'DEMO_EOF'
#!/bin/sh
# One HTTP exchange on stdin/stdout: busybox nc -ll starts this once per connection.
# Read the request up to its blank line first: closing with unread input resets the connection.
cr=$(printf '\r')
while IFS= read -r line; do
	case "$line" in ""|"$cr") break ;; esac
done
ip=$(ip -4 addr show 2>/dev/null | awk '$1 == "inet" && $2 !~ /^127\./ { sub("/.*", "", $2); print $2; exit }')
body="Welcome to ${ip:-unknown}"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s\n' $((${#body} + 1)) "$body"
DEMO_EOF

cat >"$root/usr/local/sbin/demo-httpd" <<'DEMO_EOF'
#!/bin/sh
# One persistent listener per port; a listener that dies is restarted after a second.
here=$(dirname "$0")
serve() {
	while :; do
		busybox nc -ll -p "$1" -e "$here/demo-http-reply" || true
		sleep 1
	done
}
for port in 80; do
	serve "$port" &
done
wait
DEMO_EOF

cat >"$root/etc/init.d/demo-httpd" <<'DEMO_EOF'
#!/bin/sh
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
case "${1:-}" in
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
DEMO_EOF

chmod 0755 "$root/usr/local/sbin/demo-http-reply" "$root/usr/local/sbin/demo-httpd" "$root/etc/init.d/demo-httpd"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	cat >/etc/systemd/system/demo-httpd.service <<'DEMO_EOF'
[Unit]
Description=tricircle-lbaas demo web server (Welcome to <address>)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/sbin/demo-httpd
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
DEMO_EOF
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
