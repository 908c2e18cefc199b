# shellcheck shell=bash
# RabbitMQ and its own epmd. Sourced by start.sh.

write_rabbit_conf() {
  mkdir -p "$LC_ETC/rabbitmq"
  # default_user is created at the first boot with full rights on "/": no
  # rabbitmqctl calls (each takes seconds to start an Erlang VM).
  render rabbitmq/rabbitmq.conf LC_HOST LC_PORT_RABBIT LC_PASSWORD >"$LC_ETC/rabbitmq/rabbitmq.conf"
  render rabbitmq/enabled_plugins >"$LC_ETC/rabbitmq/enabled_plugins"
}

# Environment of rabbitmq-server, as VAR=value words for env(1).
rabbit_env() {
  # HOME holds the Erlang cookie; everything in our folder (RabbitMQ
  # refuses to start when it cannot write there). Logs to stdout
  # (RABBITMQ_LOGS=-), i.e. log/rabbitmq.log. Erlang distribution and epmd
  # bound to 127.0.0.1 like everything else.
  RABBIT_ENV=(
    HOME="$LC_DATA/rabbitmq"
    RABBITMQ_NODENAME=rabbit@localhost
    RABBITMQ_NODE_IP_ADDRESS="$LC_HOST"
    RABBITMQ_NODE_PORT="$LC_PORT_RABBIT"
    RABBITMQ_DIST_PORT="$LC_PORT_RABBIT_DIST"
    RABBITMQ_CONFIG_FILE="$LC_ETC/rabbitmq/rabbitmq.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$LC_ETC/rabbitmq/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$LC_DATA/rabbitmq/mnesia"
    RABBITMQ_LOG_BASE="$LC_DATA/rabbitmq/log"
    RABBITMQ_LOGS=-
    RABBITMQ_PID_FILE="$LC_DATA/rabbitmq/rabbitmq.pid"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    ERL_EPMD_ADDRESS="$LC_HOST"
  )
}

start_rabbit() {
  write_rabbit_conf
  mkdir -p "$LC_DATA/rabbitmq/mnesia" "$LC_DATA/rabbitmq/log"
  # Our own epmd in the foreground (RabbitMQ would otherwise start one
  # detached, outside our process groups, that stop.sh could not find). One
  # already listening (someone else's) is used as it is.
  if ! is_running epmd && ! port_open "$LC_HOST" 4369; then
    start_daemon epmd env ERL_EPMD_ADDRESS="$LC_HOST" epmd
  fi
  rabbit_env
  # As root, like MariaDB: the rabbitmq user may not be able to enter the
  # checkout. (The /usr/sbin wrapper would su to rabbitmq; the real script
  # under /usr/lib does not care.)
  start_daemon rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}
