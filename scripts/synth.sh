#!/usr/bin/env bash
# Synthesizes one environment's cloud assembly into OUTDIR, as `cdk synth -c env=<env>` does but
# without depending on the CLI's version: the app with cdk.json's context plus env, writing to
# CDK_OUTDIR. Offline; needs no AWS credentials. The scanners (cfn-lint.sh, checkov.sh) use it.
#
# Usage: scripts/synth.sh ENV OUTDIR
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh
env="$1" out="$2"
context=$(node -e '
  const context = JSON.parse(require("node:fs").readFileSync("cdk.json", "utf8")).context ?? {};
  console.log(JSON.stringify({ ...context, env: process.argv[1] }));' "$env")
CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$context" node infra/bin/app.ts
