"""What the forwarder benchmarks share (bench/compare-secgw, bench/compare-balance --app fwd):
traffic pcaps, a timed run stopped with SIGINT, and the forwarder's packet rate."""
import os
import re
import signal
import subprocess
import time

MAC_IN, MAC_GW = "02:00:00:00:01:02", "02:00:00:00:00:01"


def plain_pcap(path, sizes, count=64):
    """`count` UDP packets 10.0.1.x -> 10.0.2.x cycling through wire sizes (FCS included)."""
    from scapy.all import IP, UDP, Ether, Raw, wrpcap
    pkts = []
    for i in range(count):
        pad = sizes[i % len(sizes)] - 4 - 14 - 20 - 8
        pkts.append(Ether(src=MAC_IN, dst=MAC_GW) / IP(src=f"10.0.1.{1 + i}", dst=f"10.0.2.{1 + i}") /
                    UDP(sport=1000 + i, dport=2000) / Raw(b"x" * pad))
    wrpcap(path, pkts, linktype=1)
    return path


def run_for(cmd, seconds):
    """Runs cmd for `seconds` plus start-up, stops it with SIGINT, returns its output."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds + 1.5)
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return out


def fwd_mpps(out):
    """Mean of dpaccel-fwd's once-a-second tx rates (--stats 1), the first two skipped."""
    rates = [float(x) for x in re.findall(r"tx \d+ \(([\d.]+) Mpps\)", out)][2:]
    return sum(rates) / len(rates) if rates else None


def fwd_binary(top):
    return os.path.join(top, "build", "apps", "dpaccel-fwd", "dpaccel-fwd")
