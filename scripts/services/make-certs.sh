#!/usr/bin/env bash
# The local MySQL's TLS material, so local clients verify the server as they verify RDS (chain and
# host name, mysql2's verifyIdentity): a CA of its own and a server certificate it signs, whose
# subjectAltName carries every NAME given (host names as DNS entries, IPv4/IPv6 addresses as IP
# entries).
#
#   scripts/services/make-certs.sh DIR NAME...
#
# Writes DIR/ca.pem (what clients trust: DB_TLS_CA), DIR/ca-key.pem, DIR/server-cert.pem and
# DIR/server-key.pem. Kept as they are while they were made for the same names and the server
# certificate stays valid for another day; otherwise made anew, CA included. Used by
# scripts/services.sh (native MariaDB) and scripts/services/find-services.ts (MySQL in Docker).
set -euo pipefail

dir="${1:?usage: make-certs.sh DIR NAME...}"
shift
[ "$#" -gt 0 ] || { echo "make-certs.sh: name at least one host name or address" >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-certs.sh: openssl is needed (apt-get install openssl)" >&2; exit 1; }

names="$*"
if [ -f "$dir/server-cert.pem" ] && [ -f "$dir/ca.pem" ] && [ "$(cat "$dir/names" 2>/dev/null)" = "$names" ] &&
  openssl x509 -checkend 86400 -noout -in "$dir/server-cert.pem" >/dev/null 2>&1; then
  exit 0
fi

san=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then entry="IP:$name"; else entry="DNS:$name"; fi
  san="${san:+$san,}$entry"
done

mkdir -p "$dir"
work="$(mktemp -d "$dir/.make-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
  -keyout "$work/ca-key.pem" -out "$work/ca.pem" -subj "/CN=lambda-realtime local MySQL CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$work/server-key.pem" -out "$work/server.csr" \
  -subj "/CN=$1" 2>/dev/null
cat >"$work/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
openssl x509 -req -sha256 -days 825 -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
  -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/server.ext" -out "$work/server-cert.pem" 2>/dev/null
chmod 644 "$work/ca.pem" "$work/server-cert.pem"
chmod 600 "$work/ca-key.pem" "$work/server-key.pem"
mv "$work/ca.pem" "$work/ca-key.pem" "$work/server-cert.pem" "$work/server-key.pem" "$dir/"
echo "$names" >"$dir/names"
