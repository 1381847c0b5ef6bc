#!/usr/bin/python3
"""dpaccel-fwd's start-up checks on its command line, and ipsec-secgw's -t spelling of --stats.

A port in -p that no --config tuple polls would take packets in and lose them uncounted, and a
--config port outside -p would be polled unconfigured: both must stop start-up with exit code 2
and a message saying which port. -t SECONDS is accepted as --stats SECONDS (ipsec-secgw's name).
--help names every option the parser takes. SIGTERM stops a running forwarder gracefully, after
its periodic stats lines, with the final report and every mbuf back.

usage: fwd_options.py PATH/TO/dpaccel-fwd
"""
import os
import re
import signal
import subprocess
import sys
import time

from scapy.all import IP, UDP, Ether, Raw, wrpcap

from fwd_runner import parse_report, run_fwd, workdir

CFG = """sa out 1001 aead_algo aes-128-gcm aead_key 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13 \\
mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2
sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 172.16.0.2/32 port 1
neigh port 0 02:00:00:00:01:02
neigh port 1 02:00:00:00:0b:01
"""


def command(fwd, wd, tag, app_args, port0="net_null0,no-rx=1"):
    """dpaccel-fwd on CFG, port 0 the given vdev, port 1 net_null."""
    cfg = os.path.join(wd, "options.cfg")
    with open(cfg, "w") as f:
        f.write(CFG)
    return [fwd, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
            "--file-prefix", f"dpafwd_opt_{os.getpid()}_{tag}", "--log-level", "lib.eal:warning",
            "--vdev", port0, "--vdev", "net_null1,no-rx=1", "--", "-f", cfg, *app_args]


def start(fwd, wd, tag, app_args):
    return subprocess.run(command(fwd, wd, tag, app_args), capture_output=True, text=True, timeout=60)


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
    # Every option the parser takes (its getopt tables, read from the source) is in --help.
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "apps",
                            "dpaccel-fwd", "options.cpp")).read()
    longs = re.findall(r'\{"([a-z-]+)", (?:required|no)_argument', src)
    shorts = re.search(r'getopt_long\(argc, argv, "([^"]*)"', src).group(1).replace(":", "")
    missing = [f"--{o}" for o in longs if f"--{o}" not in p.stdout]
    missing += [f"-{c}" for c in shorts if not re.search(rf"(^|[\s,\[])-{c}\b", p.stdout, re.M)]
    check(len(longs) >= 8 and len(shorts) >= 8 and not missing,
          f"--help documents all {len(longs)} long and {len(shorts)} short options",
          f"missing: {missing}")

    # -t 1 is accepted and the forwarder runs as with --stats 1.
    pkts = [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") /
            IP(src="10.0.1.1", dst="10.0.2.1") / UDP(sport=1, dport=2) / Raw(b"x" * 40)] * 8
    rep, _, out1 = run_fwd(fwd, CFG, pkts, [], wd, extra_args=("-t", "1"))
    check(rep["returncode"] == 0 and len(out1) == 8 and rep.get("mbufs_in_use") == 0,
          "-t 1 accepted: 8 packets encrypted, no mbuf left",
          f"exit {rep['returncode']}, out {len(out1)}, stderr {rep['stderr'][-300:]}")

    # SIGTERM (as from systemd or kill) while traffic flows: the periodic stats lines, then a
    # graceful stop with the final report; every packet taken in is accounted for, every mbuf back.
    pcap = os.path.join(wd, "sigterm-in.pcap")
    wrpcap(pcap, pkts)
    proc = subprocess.Popen(
        command(fwd, wd, "term", ["-p", "0x3", "-u", "0x2", "--config", "(0,0,0),(1,0,0)", "--stats", "1"],
                port0=f"net_pcap0,rx_pcap={pcap},infinite_rx=1"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    rep = parse_report(out)
    stats_lines = re.findall(r"^stats: rx \d+", out, re.M)
    rx, tx, dropped = rep.get("rx", 0), rep.get("tx", 0), rep.get("dropped", -1)
    check(proc.returncode == 0 and len(stats_lines) >= 2 and rx > 0 and rx == tx + dropped
          and rep.get("mbufs_in_use") == 0,
          "SIGTERM: periodic stats lines, final report, rx = tx + dropped, no mbuf left",
          f"exit {proc.returncode}, {len(stats_lines)} stats lines, packets {rx} {tx} {dropped}, "
          f"mbufs {rep.get('mbufs_in_use')}, stderr {err.strip()[-300:]}")

    print(f"{checks - len(errors)} passed, {len(errors)} failed")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
