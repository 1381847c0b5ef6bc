"""What the forwarder benchmarks share (bench/compare-secgw, bench/compare-balance --app fwd):
traffic pcaps, a timed run stopped with SIGINT, the forwarder's packet rate, and hugepage memory."""
import os
import re
import signal
import subprocess
import sys
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


HUGE_PAGES = 1024  # 2 MiB pages; one app at a time takes -m 1024 of them


def reserve_hugepages(who):
    """Makes HUGE_PAGES 2 MiB pages available and hugetlbfs mounted, or exits saying why (root).
    On this VM --no-huge rates vary by up to +-20 % from one process to the next (where the 4 KiB
    pages of the mbuf pool land); with hugepages by about +-2 %."""
    nr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    try:
        if int(open(nr).read()) < HUGE_PAGES:
            open(nr, "w").write(str(HUGE_PAGES))
        if not any(line.split()[2] == "hugetlbfs" for line in open("/proc/mounts")):
            os.makedirs("/dev/hugepages", exist_ok=True)
            subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"{who}: --huge: cannot reserve hugepages ({e}); run as root or reserve them")
    free = int(re.search(r"HugePages_Free:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    if free < HUGE_PAGES // 2:
        sys.exit(f"{who}: --huge: only {free} free 2 MiB hugepages, need {HUGE_PAGES // 2}")


def eal_memory(huge):
    """EAL memory options: hugepages (unlinked, so they go back when the process ends; every run
    has its own --file-prefix) or --no-huge."""
    return ["--huge-unlink", "-m", "1024"] if huge else ["--no-huge", "-m", "1024"]
