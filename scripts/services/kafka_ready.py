"""Asks a Kafka broker for cluster metadata (Metadata v1, all topics) over the wire protocol and
exits 0 when it answers with at least one broker. Used by scripts/services.sh as the readiness
check, so it needs nothing but Python's standard library."""
import socket
import struct
import sys

host, port = sys.argv[1], int(sys.argv[2])
client_id = b"lrt-ready"
# request header v1: api_key=3 (Metadata), api_version=1, correlation_id, client_id; body: topics=null
body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", -1)
try:
    with socket.create_connection((host, port), timeout=3) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        raw = b""
        while len(raw) < 4:
            chunk = s.recv(4 - len(raw))
            if not chunk:
                sys.exit(1)
            raw += chunk
        size = struct.unpack(">i", raw)[0]
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            if not chunk:
                sys.exit(1)
            data += chunk
    correlation, brokers = struct.unpack(">ii", data[:8])
    sys.exit(0 if correlation == 7 and brokers >= 1 else 1)
except OSError:
    sys.exit(1)
