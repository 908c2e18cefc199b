#!/usr/bin/env bash
# Fails when @pulumi/pulumi is installed more than once in a dependency tree.
#
# Two copies break the SDK's identity checks (Output.isInstance, Resource.isInstance, the runtime's settings): an
# Output made by one copy is a plain object to the other, providers and parents go missing, secrets leak into
# plain values. Every installed copy is found by scanning node_modules (nested ones included), so the check needs
# no network and no npm.
#
# Checked trees: the project (./node_modules) and, when installed, the policy pack (policy/node_modules), each of
# which must hold exactly one copy, at the version its package.json pins. The two trees are separate programs
# (the pack runs in its own process), so one copy in each is right.
#
# Usage: scripts/check-single-pulumi.sh [DIR...]   (default: the project root and policy/)
# Prints one line per tree; exits 1 on any failure. (No "N passed" summary: CI reads that line from the test
# runners, and this is no test suite.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="@pulumi/pulumi"

if [[ $# -gt 0 ]]; then
  dirs=("$@")
else
  dirs=("$ROOT")
  [[ -d "$ROOT/policy/node_modules" ]] && dirs+=("$ROOT/policy")
fi

pass=0
fail=0
for dir in "${dirs[@]}"; do
  rel="${dir#"$ROOT"/}"; [[ "$dir" == "$ROOT" ]] && rel="."
  if [[ ! -d "$dir/node_modules" ]]; then
    echo "check-single-pulumi: FAIL $rel: no node_modules (run npm ci there first)"
    fail=$((fail + 1)); continue
  fi
  copies=()
  while IFS= read -r -d '' manifest; do
    copies+=("$(dirname "$manifest")")
  done < <(find "$dir/node_modules" -type f -path "*/node_modules/$PKG/package.json" -print0 2>/dev/null | sort -z)

  pinned="$(node -e 'const p=require(process.argv[1]);process.stdout.write(String((p.dependencies||{})[process.argv[2]]||(p.devDependencies||{})[process.argv[2]]||""))' "$dir/package.json" "$PKG")"
  describe() {
    local c
    for c in "${copies[@]}"; do
      printf '  %s %s\n' "$(node -p 'require(process.argv[1]).version' "$c/package.json")" "${c#"$dir"/}"
    done
  }

  if [[ ${#copies[@]} -eq 0 ]]; then
    echo "check-single-pulumi: FAIL $rel: $PKG is not installed"
    fail=$((fail + 1))
  elif [[ ${#copies[@]} -gt 1 ]]; then
    echo "check-single-pulumi: FAIL $rel: $PKG is installed ${#copies[@]} times (dedupe: align the dependents' ranges with $pinned, then npm dedupe):"
    describe
    fail=$((fail + 1))
  else
    version="$(node -p 'require(process.argv[1]).version' "${copies[0]}/package.json")"
    if [[ -n "$pinned" && "$pinned" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ && "$version" != "$pinned" ]]; then
      echo "check-single-pulumi: FAIL $rel: $PKG $version installed, package.json pins $pinned (npm ci)"
      fail=$((fail + 1))
    else
      echo "check-single-pulumi: ok   $rel: one $PKG ($version)"
      pass=$((pass + 1))
    fi
  fi
done

if [[ $fail -gt 0 ]]; then
  echo "check-single-pulumi: $fail of $((pass + fail)) tree(s) failed"
  exit 1
fi
