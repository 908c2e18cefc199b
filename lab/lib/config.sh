# shellcheck shell=bash
# Rendering of the configuration templates (lab/etc/) into $LC_ETC, and the
# two sections every OpenStack service file shares. Sourced by start.sh.

# render TEMPLATE ARG...: prints lab/etc/TEMPLATE with its ${NAME} placeholders
# replaced. Each ARG is NAME=value, or a bare NAME for the value of the shell
# variable of that name (the lib.sh settings: LC_HOST, LC_DATA...). The
# arguments must name the template's placeholders exactly: a placeholder left
# out would reach the file as text, a name the template lacks is a caller's
# mistake; both fail here rather than later in a service.
render() {
  local name="$1"; shift
  local tpl="$LC_SCRIPTS/etc/$name" arg var shell_format="" assigns=() names=() placeholders
  [ -f "$tpl" ] || die "render: no template $tpl"
  for arg in "$@"; do
    if [[ "$arg" == *=* ]]; then
      var="${arg%%=*}"
      assigns+=("$arg")
    else
      var="$arg"
      [ -n "${!var+set}" ] || die "render $name: \$$var is not set"
      assigns+=("$var=${!var}")
    fi
    names+=("$var")
    shell_format+="\${$var} "
  done
  # shellcheck disable=SC2016  # the pattern is a literal ${NAME}
  placeholders="$(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$tpl" | tr -d '${}' | LC_ALL=C sort -u || true)"
  [ "$placeholders" = "$(printf '%s\n' "${names[@]}" | LC_ALL=C sort -u)" ] \
    || die "render $name: the template's placeholders are {${placeholders//$'\n'/ }}, the arguments name {${names[*]}}"
  # env: the values reach envsubst as its environment, nowhere else; the
  # explicit SHELL-FORMAT keeps envsubst from touching any other $.
  env "${assigns[@]}" envsubst "$shell_format" <"$tpl"
}

# [keystone_authtoken] for service user USER.
authtoken_section() {
  render common/keystone_authtoken.conf user="$1" LC_HOST LC_PORT_KEYSTONE LC_PASSWORD LC_PORT_MEMCACHED
}

# Credentials section SECTION for service user USER (how a service calls
# another one), with the region to pick endpoints from.
service_creds() {
  render common/service_credentials.conf section="$1" user="$2" region="${3:-RegionOne}" \
    LC_HOST LC_PORT_KEYSTONE LC_PASSWORD
}
