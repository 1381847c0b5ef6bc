"""Runs dpaccel-fwd on pcap files (net_pcap ports) and reads its final report.

Shared by the interop, malformed-packet and demo checks. Port 0 is protected, port 1 unprotected.
"""
import os
import re
import subprocess
import tempfile

from scapy.all import wrpcap, rdpcap  # noqa: F401  (re-exported for the scripts)

_counter = [0]


def run_fwd(binary, config_text, port0_in, port1_in, workdir, extra_args=(), eal_extra=(),
            timeout=60):
    """Writes config and input pcaps, runs the forwarder until idle, returns (report, out0, out1)."""
    _counter[0] += 1
    tag = f"{os.getpid()}_{_counter[0]}"
    cfg = os.path.join(workdir, f"fwd_{tag}.cfg")
    with open(cfg, "w") as f:
        f.write(config_text)
    paths = {}
    for name, pkts in (("in0", port0_in), ("in1", port1_in)):
        paths[name] = os.path.join(workdir, f"{name}_{tag}.pcap")
        wrpcap(paths[name], pkts, linktype=1)
    out0 = os.path.join(workdir, f"out0_{tag}.pcap")
    out1 = os.path.join(workdir, f"out1_{tag}.pcap")
    cmd = [binary, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
           "--file-prefix", f"dpafwd_{tag}", "--log-level", "lib.eal:warning", *eal_extra,
           "--vdev", f"net_pcap0,rx_pcap={paths['in0']},tx_pcap={out0}",
           "--vdev", f"net_pcap1,rx_pcap={paths['in1']},tx_pcap={out1}",
           "--", "-f", cfg, "-p", "0x3", "-u", "0x2", "--exit-idle-ms", "200", *extra_args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    report = parse_report(p.stdout)
    report["returncode"] = p.returncode
    report["stdout"] = p.stdout
    report["stderr"] = p.stderr
    o0 = rdpcap(out0) if os.path.exists(out0) and os.path.getsize(out0) > 24 else []
    o1 = rdpcap(out1) if os.path.exists(out1) and os.path.getsize(out1) > 24 else []
    return report, list(o0), list(o1)


def parse_report(text):
    r = {"drops": {}, "sa": {}, "mbufs_in_use": None}
    m = re.search(r"^packets: rx (\d+) tx (\d+) dropped (\d+)", text, re.M)
    if m:
        r["rx"], r["tx"], r["dropped"] = map(int, m.groups())
    m = re.search(r"^paths: outbound (\d+) inbound (\d+) bypass (\d+)", text, re.M)
    if m:
        r["outbound"], r["inbound"], r["bypass"] = map(int, m.groups())
    for m in re.finditer(r"^  (\w+)\s+(\d+)  \(", text, re.M):
        r["drops"][m.group(1)] = int(m.group(2))
    for m in re.finditer(r"^  sa (in|out)\s+spi (\d+)\s+packets (\d+) bytes (\d+) dropped (\d+)", text, re.M):
        r["sa"][(m.group(1), int(m.group(2)))] = (int(m.group(3)), int(m.group(5)))
    m = re.search(r"^mbufs in use at exit: (\d+)", text, re.M)
    if m:
        r["mbufs_in_use"] = int(m.group(1))
    return r


def workdir():
    return tempfile.mkdtemp(prefix="dpaccel-fwd-")
