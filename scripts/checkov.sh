#!/usr/bin/env bash
# Synthesizes every environment (dev, test, prod) and scans its CloudFormation template with checkov
# (framework cloudformation). Fails on any finding that is neither fixed nor acknowledged: an
# acknowledgement sits in code next to the resource it concerns, with its reason
# (acknowledgeCheckov in infra/lib/nag.ts writes the resource's Metadata.checkov.skip, which
# checkov honours). checkov (PyPI, pinned) is installed into .tools/checkov-venv the first time;
# after that the scan is offline (--skip-download: no Prisma Cloud guidelines, no update check)
# and needs no AWS credentials.
#
# Usage: scripts/checkov.sh [env ...]        (default: dev test prod)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh

version=3.3.30
venv=.tools/checkov-venv
if ! "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$version"; then
  echo "installing checkov $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$version"
fi
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
echo "checkov $("$venv/bin/checkov" --version)"

envs=("$@")
[ ${#envs[@]} -gt 0 ] || envs=(dev test prod)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

templates=()
for env in "${envs[@]}"; do
  echo "==== synthesizing $env"
  scripts/synth.sh "$env" "$out/$env"
  for template in "$out/$env"/*.template.json; do templates+=(--file "$template"); done
done

echo "==== checkov"
status=0
"$venv/bin/checkov" --framework cloudformation --skip-download --output json --output-file-path "$out/report" \
  "${templates[@]}" >/dev/null || status=$?

# The findings, one line per template, and what was acknowledged (check id x count).
"$venv/bin/python" - "$out/report/results_json.json" <<'EOF' || status=1
import collections, json, os, sys
report = json.load(open(sys.argv[1]))
ok = True
for r in report if isinstance(report, list) else [report]:
    summary, results = r["summary"], r.get("results", {})
    if summary.get("parsing_errors"):
        print(f"checkov could not parse {summary['parsing_errors']} template(s)")
        ok = False
    failed, skipped = results.get("failed_checks", []), results.get("skipped_checks", [])
    for c in failed:
        print(f"FINDING {c['check_id']} {c['check_name']}\n  {c['resource']} in {os.path.basename(c['file_path'])}")
    per_file = collections.Counter(os.path.basename(c["file_path"]) for c in failed + skipped)
    for name in sorted(per_file):
        f = sum(1 for c in failed if os.path.basename(c["file_path"]) == name)
        print(f"checkov: {name}: {f} unacknowledged finding(s), {per_file[name] - f} acknowledged in code")
    print(f"checkov: {summary['passed']} checks met, {summary['failed']} unacknowledged, {summary['skipped']} acknowledged")
    acknowledged = collections.Counter(c["check_id"] for c in skipped)
    if acknowledged:
        print("checkov: acknowledged " + ", ".join(f"{k} x{v}" for k, v in sorted(acknowledged.items())))
sys.exit(0 if ok else 1)
EOF

if [ "$status" -ne 0 ]; then
  echo "checkov: FAILED. Fix each finding above, or acknowledge it next to its resource with" >&2
  echo "  acknowledgeCheckov(construct, '<check id>', '<one-line reason>') (infra/lib/nag.ts)." >&2
  exit 1
fi
echo "checkov: ${envs[*]} templates have no unacknowledged finding"
