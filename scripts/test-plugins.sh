#!/usr/bin/env bash
# npm run test:plugins: the Go tests of the project's own Pulumi plugins (plugins/openstack: the token table against
# the npm SDK and the Terraform provider; plugins/command: the offline stand-in's semantics against an in-process SSH
# server). Offline: modules come from the Go module cache that scripts/toolchain.sh filled.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for plugin in command openstack; do
  echo "test:plugins: plugins/$plugin"
  (cd "$ROOT/plugins/$plugin" && go vet ./... && go test -count=1 -p "${TOOLCHAIN_JOBS:-2}" ./...)
done
