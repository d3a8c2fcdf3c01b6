#!/usr/bin/env bash
# Synthesizes every environment (dev, test, prod) and runs cfn-lint on its CloudFormation templates.
# Fails on any cfn-lint error; warnings are printed but allowed. cfn-lint (PyPI) is installed into
# .tools/cfn-lint-venv the first time. Works offline once installed and needs no AWS credentials.
#
# Usage: scripts/cfn-lint.sh [env ...]        (default: dev test prod)
#
# Ignored checks, on purpose:
#   W3010  hard-coded availability zones: the environment config names its zones so that MSK gets
#          exactly one broker subnet per zone, deterministically.
#   W3005  redundant DependsOn: CDK makes a function depend on its role explicitly as well as by
#          GetAtt; harmless.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh

venv=.tools/cfn-lint-venv
if ! "$venv/bin/cfn-lint" --version 2>/dev/null | grep -q "1.58.0"; then
  echo "installing cfn-lint into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check cfn-lint==1.58.0
fi
"$venv/bin/cfn-lint" --version

envs=("$@")
[ ${#envs[@]} -gt 0 ] || envs=(dev test prod)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for env in "${envs[@]}"; do
  echo "==== $env"
  scripts/synth.sh "$env" "$out/$env"
  "$venv/bin/cfn-lint" --non-zero-exit-code error --ignore-checks W3010 W3005 -- "$out/$env"/*.template.json
  echo "cfn-lint: $env templates have no errors"
done
