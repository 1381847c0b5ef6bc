#!/usr/bin/python3
"""dpaccel-fwd's start-up checks on its command line, and ipsec-secgw's -t spelling of --stats.

A port in -p that no --config tuple polls would take packets in and lose them uncounted, and a
--config port outside -p would be polled unconfigured: both must stop start-up with exit code 2
and a message saying which port. -t SECONDS is accepted as --stats SECONDS (ipsec-secgw's name).

usage: fwd_options.py PATH/TO/dpaccel-fwd
"""
import os
import subprocess
import sys

from scapy.all import IP, UDP, Ether, Raw

from fwd_runner import run_fwd, workdir

CFG = """sa out 1001 aead_algo aes-128-gcm aead_key 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13 \\
mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2
sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 172.16.0.2/32 port 1
neigh port 0 02:00:00:00:01:02
neigh port 1 02:00:00:00:0b:01
"""


def start(fwd, wd, tag, app_args):
    cfg = os.path.join(wd, "options.cfg")
    with open(cfg, "w") as f:
        f.write(CFG)
    cmd = [fwd, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
           "--file-prefix", f"dpafwd_opt_{os.getpid()}_{tag}", "--log-level", "lib.eal:warning",
           "--vdev", "net_null0,no-rx=1", "--vdev", "net_null1,no-rx=1",
           "--", "-f", cfg, *app_args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def main():
    fwd = sys.argv[1]
    wd = workdir()
    checks, errors = 0, []

    def check(cond, what, detail=""):
        nonlocal checks
        checks += 1
        if not cond:
            errors.append(what)
        print(("ok     " if cond else "FAILED ") + what + ("" if cond else f"\n  {detail}"))

    refusals = [
        ("unpolled", ["-p", "0x3", "-u", "0x2", "--config", "(0,0,0)"],
         "port 1 (in -p) is polled by no lcore"),
        ("outside", ["-p", "0x1", "-u", "0x0", "--config", "(0,0,0),(1,0,0)"],
         "port 1 is not in the port mask"),
        ("bad-t", ["-p", "0x3", "-u", "0x2", "-t", "soon"], "-t 'soon': expected seconds"),
    ]
    for tag, args, want in refusals:
        p = start(fwd, wd, tag, args)
        check(p.returncode == 2 and want in p.stderr, f"refused: {' '.join(args)} ({want})",
              f"exit {p.returncode}, stderr: {p.stderr.strip()[-300:]}")

    p = subprocess.run([fwd, "--help"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and "-t SECONDS" in p.stdout, "--help documents -t")

    # -t 1 is accepted and the forwarder runs as with --stats 1.
    pkts = [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") /
            IP(src="10.0.1.1", dst="10.0.2.1") / UDP(sport=1, dport=2) / Raw(b"x" * 40)] * 8
    rep, _, out1 = run_fwd(fwd, CFG, pkts, [], wd, extra_args=("-t", "1"))
    check(rep["returncode"] == 0 and len(out1) == 8 and rep.get("mbufs_in_use") == 0,
          "-t 1 accepted: 8 packets encrypted, no mbuf left",
          f"exit {rep['returncode']}, out {len(out1)}, stderr {rep['stderr'][-300:]}")

    print(f"{checks - len(errors)} passed, {len(errors)} failed")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
