# shellcheck shell=bash
# Sourced (not executed) by the project's scripts: `source scripts/env.sh`.
# Puts the checkout's toolchain first on PATH and points Pulumi at a local
# file backend with no network access. Safe to source more than once.
#
# PULUMI_CONFIG_PASSPHRASE: if neither it nor PULUMI_CONFIG_PASSPHRASE_FILE
# is set, a fixed passphrase is used. It protects only the secrets of stacks
# in the local test backend (.pulumi-state, ignored by git) and is no secret:
# never use it for a stack whose state leaves this machine; set your own
# PULUMI_CONFIG_PASSPHRASE for anything real.

TRICIRCLE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRICIRCLE_ROOT

case ":$PATH:" in
  *":$TRICIRCLE_ROOT/.toolchain/bin:"*) ;;
  *) export PATH="$TRICIRCLE_ROOT/.toolchain/bin:$PATH" ;;
esac

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$TRICIRCLE_ROOT/.pulumi-state"
export PULUMI_BACKEND_URL="file://$TRICIRCLE_ROOT/.pulumi-state"

if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+x}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="tricircle-local-test-only"
fi
