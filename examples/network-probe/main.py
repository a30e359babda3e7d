"""A job that tries to reach the network from inside the sandbox, and reports what failed.

Runs inside the job sandbox with Debian's python3 (standard library only). It tries a DNS lookup,
a TCP connection to 1.1.1.1:443, and TCP connections to common service ports on 127.0.0.1 (the
host's own services must not be reachable from a job either). It writes network_probe.json to
CCE4LONG_OUTPUT_DIR (default /output) and exits 1 if any attempt succeeded, 0 if all were blocked.
Run it only inside a sandbox without network (e.g. `unshare -rn`): outside one it really connects.
"""

import json
import os
import socket
import sys

OUTPUT_DIR = os.environ.get("CCE4LONG_OUTPUT_DIR", "/output")
TIMEOUT_SECONDS = float(os.environ.get("PROBE_TIMEOUT_SECONDS", "3"))
DNS_NAMES = ["example.com", "storage.googleapis.com"]
EXTERNAL = [("1.1.1.1", 443)]
# ssh, http, https, postgres, redis, anvil, pubsub emulator, wrangler dev, s3 stand-in.
LOOPBACK_PORTS = [22, 80, 443, 5432, 6379, 8545, 8085, 8787, 4568]


def try_dns(name: str) -> dict:
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)})
        return {"kind": "dns", "target": name, "succeeded": True, "detail": f"resolved to {len(addresses)} address(es)"}
    except OSError as error:
        return {"kind": "dns", "target": name, "succeeded": False, "detail": f"{type(error).__name__}: {error}"}


def try_tcp(host: str, port: int) -> dict:
    target = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_SECONDS):
            return {"kind": "tcp", "target": target, "succeeded": True, "detail": "connected"}
    except OSError as error:
        return {"kind": "tcp", "target": target, "succeeded": False, "detail": f"{type(error).__name__}: {error}"}


def network_interfaces() -> list:
    try:
        return sorted(name for _, name in socket.if_nameindex())
    except OSError:
        return []


def main() -> int:
    attempts = [try_dns(name) for name in DNS_NAMES]
    attempts += [try_tcp(host, port) for host, port in EXTERNAL]
    attempts += [try_tcp("127.0.0.1", port) for port in LOOPBACK_PORTS]
    succeeded = [a for a in attempts if a["succeeded"]]
    report = {
        "interfaces": network_interfaces(),
        "attempts": attempts,
        "succeeded": len(succeeded),
        "blocked": len(attempts) - len(succeeded),
        "verdict": "network reachable" if succeeded else "no network: every attempt failed",
    }
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    with open(os.path.join(OUTPUT_DIR, "network_probe.json"), "w") as f:
        json.dump(report, f, indent=2)
    for a in attempts:
        print(f"{'REACHED' if a['succeeded'] else 'blocked'}  {a['kind']:3}  {a['target']:24}  {a['detail']}")
    print(report["verdict"])
    return 1 if succeeded else 0


if __name__ == "__main__":
    sys.exit(main())
