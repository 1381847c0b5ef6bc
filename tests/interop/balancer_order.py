#!/usr/bin/python3
"""dpaccel-fwd on crypto_dpaccel_balance, as an application gets it unchanged (`--cryptodev`), with
an accelerator that lets it down: ESP sequence order and anti-replay must not notice.

The balancer promises in-order completion per queue pair, nothing lost or done twice, and errors
and stalls re-run on the CPU. Here 2000 packets go each way at once through one forwarder whose
crypto device is the balancer over a crypto_dpaccel_worker that
  * fails 30 % of its ops (mode=accel: every op goes there first; failures are re-run),
  * stalls 100 ms every 1000 ops (mode=accel, ops taken back after 20 ms and re-run; while the
    order ring waits on the stalled op the balancer may turn bursts away, which the forwarder
    counts as crypto_queue_full: only those may be missing),
  * has room for 16 ops (mode=accel: the rest spill to the CPU),
  * fails 30 % of its ops under the adaptive mode (whatever it decides to offload).
Outbound, the ESP packets on the wire must carry rising sequence numbers (1..2000 where nothing
was refused), and scapy must decrypt sequence s to the s-th packet sent. Inbound, scapy's
ESP packets (sequence 1..2000) must all be delivered, in order, with the default 64-packet
replay window and no drop. The balancer's own summary at exit must show that the fault was met
(ops on the accelerator, re-runs or spills), so that a case cannot pass by never offloading.

usage: balancer_order.py PATH/TO/dpaccel-fwd PATH/TO/librte_crypto_dpaccel_worker.so
       PATH/TO/librte_crypto_dpaccel_balance.so
"""
import os
import re
import shutil
import sys
import tempfile

from scapy.all import IP, UDP, Ether, Raw
from scapy.layers.ipsec import ESP

from esp_interop import scapy_sa
from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

KEY_OUT = "2b:7e:15:16:28:ae:d2:a6:ab:f7:15:88:09:cf:4f:3c:ca:fe:ba:be"
KEY_IN = "60:3d:eb:10:15:ca:71:be:2b:73:ae:f0:85:7d:77:81:de:ad:be:ef"
N = 2000
CONFIG = "\n".join([
    f"sa out 1001 aead_algo aes-128-gcm aead_key {KEY_OUT} mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2",
    f"sa in 2001 aead_algo aes-128-gcm aead_key {KEY_IN} mode ipv4-tunnel src 172.16.0.2 dst 172.16.0.1",
    "sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24",
    "sp ipv4 in esp protect 2001 pri 1 src 10.0.2.0/24 dst 10.0.1.0/24",
    "rt ipv4 dst 172.16.0.2/32 port 1", "rt ipv4 dst 10.0.1.0/24 port 0",
    "neigh port 0 02:00:00:00:01:02", "neigh port 1 02:00:00:00:0b:01"]) + "\n"
SUMMARY = re.compile(r"crypto_dpaccel_balance0 qp 0: (\d+) ops, (\d+) on the CPU, (\d+) on accelerators "
                     r"\(\d+ zero-copy\), (\d+) spills, (\d+) re-runs")


def gcm_sa(spi, key, out):
    return scapy_sa("aes-128-gcm", spi, bytes.fromhex(key.replace(":", "")), b"", "ipv4-tunnel", False, False, out)


def case(fwd, wd, plugins, worker_args, balance_args, plain_out, esp_in, met, may_refuse=False):
    """may_refuse: the balancer may turn bursts away (crypto_queue_full) while its order ring
    waits on a stalled accelerator; every other packet must still come out in order."""
    eal = []
    for p in plugins:
        eal += ["-d", p]
    eal += ["--vdev", "crypto_dpaccel_cpu_bal0", "--vdev", f"crypto_dpaccel_worker0,corelist=1,{worker_args}",
            "--vdev", "crypto_dpaccel_balance0,cpu=crypto_dpaccel_cpu_bal0,accel=crypto_dpaccel_worker0,"
            f"{balance_args}"]
    rep, out0, out1 = run_fwd(fwd, CONFIG,
                              [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") / p for p in plain_out],
                              [Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:00:01") / e for e, _ in esp_in],
                              wd, eal_extra=eal, extra_args=["--cryptodev", "crypto_dpaccel_balance0"],
                              timeout=240)
    errors, fatal = clean_run_errors(rep, drops_expected=may_refuse)
    if fatal:
        return errors
    refused = rep["drops"].get("crypto_queue_full", 0)
    if set(rep["drops"]) - {"crypto_queue_full"}:
        errors.append(f"drops {rep['drops']}")
    if rep.get("tx", 0) + rep.get("dropped", 0) != 2 * N:
        errors.append(f"accounting: tx {rep.get('tx')} dropped {rep.get('dropped')}, want {2 * N} in all")
    m = SUMMARY.search(rep["stdout"] + rep["stderr"])
    if not m:
        errors.append("no balancer summary at exit")
    else:
        ops, cpu, accel, spills, reruns = map(int, m.groups())
        print(f"       balancer: {ops} ops, {cpu} on the CPU, {accel} on the accelerator, {spills} spills, "
              f"{reruns} re-runs; forwarder: {refused} refused, {len(out1)} ESP out, {len(out0)} decrypted",
              flush=True)
        if ops + refused != 2 * N or not met(accel, spills, reruns):
            errors.append(f"balancer: {ops} ops (+ {refused} refused), {accel} on the accelerator, "
                          f"{spills} spills, {reruns} re-runs: the fault was not met")
    # Outbound: a packet's sequence number is its arrival position (refused ones used theirs), so
    # on the wire they must rise, and ESP sequence s must decrypt to the s-th packet sent.
    rx_sa = gcm_sa(1001, KEY_OUT, out=True)
    if len(out1) != rep.get("tx", 0) - len(out0) or (not may_refuse and len(out1) != N):
        errors.append(f"{len(out1)} ESP packets out of port 1 (tx {rep.get('tx')})")
    last = 0
    for f in out1:
        ip = IP(bytes(f.payload))
        seq = ip[ESP].seq
        if not last < seq <= N:
            errors.append(f"ESP sequence {seq} on the wire after {last}")
            break
        last = seq
        try:
            inner = rx_sa.decrypt(ip)
        except Exception as ex:  # noqa: BLE001 — scapy raises several types for a bad ICV
            errors.append(f"scapy cannot decrypt ESP seq {seq}: {ex!r}")
            break
        if bytes(inner) != bytes(plain_out[seq - 1]):
            errors.append(f"ESP seq {seq} does not decrypt to packet {seq - 1} as sent")
            break
    # Inbound: what was delivered, in the order scapy numbered it.
    index = {bytes(p): j for j, (_, p) in enumerate(esp_in)}
    if not may_refuse and len(out0) != N:
        errors.append(f"{len(out0)} decrypted packets out of port 0, want {N}")
    last = -1
    for f in out0:
        j = index.get(bytes(f.payload))
        if j is None or j <= last:
            errors.append(f"decrypted packet {j} delivered after {last}")
            break
        last = j
    return errors[:8]


def main():
    fwd = sys.argv[1]
    # -d refuses libraries below world-writable directories: private copies.
    priv = tempfile.mkdtemp(prefix=".dpaccel-plugin.", dir=os.path.expanduser("~"))
    plugins = [shutil.copy(lib, priv) for lib in sys.argv[2:4]]
    wd = workdir()
    plain_out = [IP(bytes(IP(src=f"10.0.1.{1 + i % 250}", dst=f"10.0.2.{1 + i % 200}", id=i) /
                          UDP(sport=1000 + i, dport=53) / Raw(bytes([i & 0xFF]) * (40 + i % 700))))
                 for i in range(N)]
    tx_sa = gcm_sa(2001, KEY_IN, out=False)
    esp_in = []
    for i in range(N):
        p = IP(bytes(IP(src=f"10.0.2.{1 + i % 200}", dst=f"10.0.1.{1 + i % 250}", id=i) /
                     UDP(sport=53, dport=1000 + i) / Raw(bytes([(i * 7) & 0xFF]) * (60 + i % 500))))
        esp_in.append((tx_sa.encrypt(p, seq_num=i + 1), p))
    cases = [
        ("accelerator failing 30 % of ops (mode=accel): re-run on the CPU, in order",
         "error_rate=0.3,seed=7", "mode=accel", lambda a, s, r: a > 0 and r > 0, False),
        ("accelerator stalling 100 ms every 1000 ops (mode=accel): taken back, in order",
         "stall_ms=100,stall_after=500,stall_every=1000", "mode=accel,stall_us=20000",
         lambda a, s, r: a > 0 and r > 0, True),
        ("accelerator with room for 16 ops (mode=accel): the rest spill, in order",
         "max_inflight=16,latency_us=300", "mode=accel", lambda a, s, r: a > 0 and s > 0, False),
        ("accelerator failing 30 % of ops, adaptive mode: in order",
         "error_rate=0.3,seed=8", "mode=adaptive", lambda a, s, r: True, False),
    ]
    try:
        run_cases([(name, lambda w=w, b=b, met=met, mr=mr: case(fwd, wd, plugins, w, b, plain_out, esp_in,
                                                                 met, mr))
                   for name, w, b, met, mr in cases])
    finally:
        shutil.rmtree(priv, ignore_errors=True)


if __name__ == "__main__":
    main()
