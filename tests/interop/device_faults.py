#!/usr/bin/python3
"""dpaccel-fwd when the crypto device or the configuration lets it down: each packet is dropped
under its own reason, rx = tx + dropped, and every mbuf is back in its pool at exit.

  * a crypto device that fails every op (crypto_dpaccel_worker error_rate=1) -> crypto_error
  * a crypto device with 8 ops of room and 50 ms latency -> crypto_queue_full for the rest
  * a route to a port no `neigh` line covers -> no_neighbour
  * a frame larger than an mbuf (the pcap port chains it) -> segmented_mbuf
  * a crypto device still holding ops (3 s latency) a second after the stop -> shutdown; their
    mbufs are the device's and are reported as still in use, exactly that many
  * a `fragment` SA while a slow device (100 ms) holds most of a 1024-mbuf pool -> no_mbuf for
    packets whose fragments get no buffer; rx + fragments - fragmented = tx + dropped, and the
    pool is full again at exit. (net_pcap's rx takes whatever the pool has left first, so here
    the first fragment is the one without a buffer; a failure after some fragments were cut,
    which frees those, is not reached.)

usage: device_faults.py PATH/TO/dpaccel-fwd PATH/TO/librte_crypto_dpaccel_worker.so
"""
import os
import shutil
import sys
import tempfile

from scapy.all import IP, UDP, Ether, Raw

from fwd_runner import run_fwd, workdir

KEY = ":".join(f"{b:02x}" for b in range(20))
BASE = f"""sa out 1001 aead_algo aes-128-gcm aead_key {KEY} mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2
sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 172.16.0.2/32 port 1
"""
NEIGH = "neigh port 1 02:00:00:00:0b:01\n"


def traffic(n, size=100):
    return [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") /
            IP(src="10.0.1.5", dst=f"10.0.2.{1 + i % 50}") / UDP(sport=1000 + i, dport=9) / Raw(b"p" * size)
            for i in range(n)]


def main():
    fwd, worker_so = sys.argv[1], sys.argv[2]
    # -d refuses libraries below world-writable directories: a private copy.
    priv = tempfile.mkdtemp(prefix=".dpaccel-plugin.", dir=os.path.expanduser("~"))
    plugin = shutil.copy(worker_so, priv)
    wd = workdir()
    cases = [
        ("device fails every op", BASE + NEIGH, traffic(200),
         ("-d", plugin, "--vdev", "crypto_dpaccel_worker0,corelist=1,error_rate=1"),
         ("--cryptodev", "crypto_dpaccel_worker0"), {"crypto_error": 200}),
        ("device with 8 ops of room", BASE + NEIGH, traffic(2000),
         ("-d", plugin, "--vdev", "crypto_dpaccel_worker0,corelist=1,max_inflight=8,latency_us=50000"),
         ("--cryptodev", "crypto_dpaccel_worker0"), None),
        ("route to a port without neigh", BASE, traffic(30), (), (), {"no_neighbour": 30}),
        ("frame larger than an mbuf", BASE + NEIGH, traffic(5) + traffic(3, 3000), (), (),
         {"segmented_mbuf": 3}),
        ("device still holding ops at the stop", BASE + NEIGH, traffic(20),
         ("-d", plugin, "--vdev", "crypto_dpaccel_worker0,corelist=1,latency_us=3000000"),
         ("--cryptodev", "crypto_dpaccel_worker0"), {"shutdown": 20}),
    ]
    passed = failed = 0

    def report(name, errs, drops):
        nonlocal passed, failed
        print(("ok     " if not errs else "FAILED ") + f"{name}: {drops}")
        for e in errs:
            print("       " + e)
        passed += not errs
        failed += bool(errs)

    try:
        for name, cfg, pkts, eal, extra, want in cases:
            rep, _, out1 = run_fwd(fwd, cfg, pkts, [], wd, extra_args=extra, eal_extra=eal, timeout=120)
            errs = []
            if rep.get("returncode") != 0:
                errs.append("forwarder failed: " + rep["stderr"][-300:])
            else:
                if want is not None and rep["drops"] != want:
                    errs.append(f"drops {rep['drops']}, expected {want}")
                if want is None and not (rep["drops"].get("crypto_queue_full", 0) > 0 and
                                         set(rep["drops"]) == {"crypto_queue_full"}):
                    errs.append(f"drops {rep['drops']}, expected only crypto_queue_full (some)")
                if rep.get("rx") != len(pkts) or rep.get("tx", 0) + rep.get("dropped", 0) != len(pkts):
                    errs.append(f"accounting: rx {rep.get('rx')} tx {rep.get('tx')} dropped {rep.get('dropped')}")
                if len(out1) != rep.get("tx"):
                    errs.append(f"{len(out1)} packets on the wire, tx says {rep.get('tx')}")
                # Only what the device kept at the stop may be missing from the pool.
                held = (want or {}).get("shutdown", 0)
                if rep.get("mbufs_in_use") != held:
                    errs.append(f"mbufs in use at exit: {rep.get('mbufs_in_use')}, expected {held}")
            report(name, errs, rep["drops"])

        # Fragments need buffers of their own. net_pcap also loses the packets it reads while the
        # pool is empty (its rx_nombuf, before the forwarder sees them), so rx is what arrived.
        frag_cfg = BASE.replace("dst 172.16.0.2\n", "dst 172.16.0.2 fragment\n", 1) + NEIGH
        big = [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") /
               IP(src="10.0.1.5", dst="10.0.2.9", flags=0) / UDP(sport=1, dport=2) / Raw(b"f" * 1900)
               for _ in range(3000)]
        rep, _, out1 = run_fwd(fwd, frag_cfg, big, [], wd, timeout=120,
                               extra_args=("--cryptodev", "crypto_dpaccel_worker0", "--mbufs", "1024"),
                               eal_extra=("-d", plugin, "--vdev",
                                          "crypto_dpaccel_worker0,corelist=1,latency_us=100000"))
        errs = []
        if rep.get("returncode") != 0:
            errs.append("forwarder failed: " + rep["stderr"][-300:])
        else:
            fragmented, fragments = rep["fragmented"] or (0, 0)
            if set(rep["drops"]) != {"no_mbuf"}:
                errs.append(f"drops {rep['drops']}, expected no_mbuf only")
            if fragments != 2 * fragmented:
                errs.append(f"{fragmented} packets into {fragments} fragments, expected 2 each")
            if rep.get("rx", 0) + fragments - fragmented != rep.get("tx", 0) + rep.get("dropped", 0):
                errs.append(f"accounting: rx {rep.get('rx')} + {fragments} - {fragmented} != "
                            f"tx {rep.get('tx')} + dropped {rep.get('dropped')}")
            if len(out1) != rep.get("tx") or any(len(p) > 14 + 1500 for p in out1):
                errs.append(f"{len(out1)} packets on the wire (tx {rep.get('tx')}), or one over the MTU")
            if rep.get("mbufs_in_use") != 0:
                errs.append(f"mbufs in use at exit: {rep.get('mbufs_in_use')}")
        report("fragments with the pool held by a slow device", errs, rep["drops"])
    finally:
        shutil.rmtree(priv, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
