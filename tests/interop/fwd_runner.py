"""Runs dpaccel-fwd on pcap files (net_pcap ports) and reads its final report.

Shared by the interop, malformed-packet and demo checks. Port 0 is protected, port 1 unprotected.
"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

from scapy.all import wrpcap, rdpcap  # noqa: F401  (re-exported for the scripts)

_counter = [0]


def run_fwd(binary, config_text, port0_in, port1_in, workdir, extra_args=(), eal_extra=(),
            timeout=60, workers=1, port1_vdev=None):
    """Writes config and input pcaps, runs the forwarder until idle, returns (report, out0, out1).

    With workers=N, port0_in and port1_in are lists of N packet lists: queue q of each port reads
    its own file and is polled by lcore q; out0/out1 gather what every tx queue of the port sent.
    port1_vdev replaces port 1's pcap files by that device (port1_in is then ignored, out1 empty).
    """
    _counter[0] += 1
    tag = f"{os.getpid()}_{_counter[0]}"
    cfg = os.path.join(workdir, f"fwd_{tag}.cfg")
    with open(cfg, "w") as f:
        f.write(config_text)
    inputs = (port0_in, port1_in) if workers > 1 else ([port0_in], [port1_in])
    vdevs, outs = [], []
    for port, queues in enumerate(inputs):
        if port == 1 and port1_vdev:
            vdevs += ["--vdev", port1_vdev]
            outs.append([])
            continue
        args, tx = [], []
        for q, pkts in enumerate(queues):
            rx = os.path.join(workdir, f"in{port}{q}_{tag}.pcap")
            tx.append(os.path.join(workdir, f"out{port}{q}_{tag}.pcap"))
            wrpcap(rx, pkts, linktype=1)
            args.append(f"rx_pcap={rx}")
        args += [f"tx_pcap={t}" for t in tx]
        vdevs += ["--vdev", f"net_pcap{port}," + ",".join(args)]
        outs.append(tx)
    lcores = ",".join(str(q) for q in range(workers))
    config = ",".join(f"({p},{q},{q})" for p in (0, 1) for q in range(workers))
    cmd = [binary, "-l", lcores, "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
           "--file-prefix", f"dpafwd_{tag}", "--log-level", "lib.eal:warning", *eal_extra, *vdevs,
           "--", "-f", cfg, "-p", "0x3", "-u", "0x2", "--config", config,
           "--exit-idle-ms", "200" if workers == 1 else "300", *extra_args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    report = parse_report(p.stdout)
    report["returncode"] = p.returncode
    report["stdout"] = p.stdout
    report["stderr"] = p.stderr
    out = [[x for t in tx if os.path.exists(t) and os.path.getsize(t) > 24 for x in rdpcap(t)]
           for tx in outs]
    return report, out[0], out[1]


def parse_report(text):
    r = {"drops": {}, "sa": {}, "mbufs_in_use": None}
    m = re.search(r"^packets: rx (\d+) tx (\d+) dropped (\d+)", text, re.M)
    if m:
        r["rx"], r["tx"], r["dropped"] = map(int, m.groups())
    m = re.search(r"^paths: outbound (\d+) inbound (\d+) bypass (\d+)", text, re.M)
    if m:
        r["outbound"], r["inbound"], r["bypass"] = map(int, m.groups())
    m = re.search(r"^policy lookups: flow cache hits (\d+) misses \(rte_acl\) (\d+)", text, re.M)
    if m:
        r["spd_cache_hits"], r["spd_cache_misses"] = map(int, m.groups())
    for m in re.finditer(r"^  (\w+)\s+(\d+)  \(", text, re.M):
        r["drops"][m.group(1)] = int(m.group(2))
    r["ports"] = {int(m.group(1)): (int(m.group(2)), int(m.group(3)))
                  for m in re.finditer(r"^port (\d+) \((?:un)?protected\): rx (\d+) tx (\d+)", text, re.M)}
    m = re.search(r"^fragmented before encryption: (\d+) packets into (\d+) fragments", text, re.M)
    r["fragmented"] = tuple(map(int, m.groups())) if m else None  # (packets, fragments)
    r["ipcomp"] = {}
    for m in re.finditer(r"^  sa (in|out)\s+spi (\d+)\s+packets (\d+) bytes (\d+) dropped (\d+)\n"
                         r"(?:    ipcomp cpi \d+: (.*)\n)?", text, re.M):
        r["sa"][(m.group(1), int(m.group(2)))] = (int(m.group(3)), int(m.group(5)))
        if m.group(6):
            words = m.group(6).split()
            r["ipcomp"][(m.group(1), int(m.group(2)))] = {
                k: float(v) if k == "ratio" else int(v) for k, v in zip(words[::2], words[1::2])}
    m = re.search(r"^mbufs in use at exit: (\d+)", text, re.M)
    if m:
        r["mbufs_in_use"] = int(m.group(1))
    return r


def clean_run_errors(rep, drops_expected=False):
    """What every run that should forward everything checks: exit status 0, nothing dropped (unless
    drops_expected), every mbuf back in its pool. Returns (errors, fatal); fatal when the forwarder
    itself failed."""
    if rep.get("returncode") != 0:
        return [f"forwarder failed ({rep.get('returncode')}): {rep['stderr'][-400:]}"], True
    errors = []
    if not drops_expected and rep.get("dropped") != 0:
        errors.append(f"drops: {rep['drops']}")
    if rep.get("mbufs_in_use") != 0:
        errors.append(f"mbufs in use at exit: {rep.get('mbufs_in_use')}")
    return errors, False


def workdir():
    """A scratch directory for a test's files, removed when the test exits."""
    d = tempfile.mkdtemp(prefix="dpaccel-fwd-")
    atexit.register(shutil.rmtree, d, True)
    return d


def run_cases(cases):
    """Runs (name, fn) pairs, fn returning a list of errors; prints ok/FAILED per case and exits 1
    when any failed."""
    failed = 0
    for name, fn in cases:
        errs = fn()
        print(("ok     " if not errs else "FAILED ") + name, flush=True)
        for e in errs:
            print("       " + e)
        failed += bool(errs)
    print(f"{len(cases) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
