#!/usr/bin/python3
"""dpaccel-fwd on a net_ring port: an in-memory loopback (what a net_ring port transmits, its own
rx queue receives), so one forwarder is both ends of a tunnel.

Clear-text packets enter protected port 0 (net_pcap); SA 1001 encrypts them out of unprotected
port 1 (net_ring); the ring hands them back to port 1, where the inbound SA of the same SPI and
tunnel addresses decrypts them, and they leave port 0 again. Every packet must come back byte for
byte, each having crossed the ring once encrypted: the report shows as many outbound as inbound
packets, port 1 as many rx as tx, nothing dropped, every mbuf back in its pool. Two more cases
fill the ring on purpose: as an output (tx_queue_full), and as a holder of most of the mbuf
pool (no_mbuf between a packet's fragments).

usage: ring_port.py PATH/TO/dpaccel-fwd
"""
import sys

from scapy.all import IP, UDP, TCP, Raw, Ether

from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

KEY = "2b:7e:15:16:28:ae:d2:a6:ab:f7:15:88:09:cf:4f:3c:ca:fe:ba:be"


def config(sa_type, fragment=False):
    tun = "mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2"
    return "\n".join([
        f"sa out 1001 aead_algo aes-128-gcm aead_key {KEY} {tun} type {sa_type}" + (" fragment" if fragment else ""),
        f"sa in 1001 aead_algo aes-128-gcm aead_key {KEY} {tun} type {sa_type}",
        "sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24",
        "sp ipv4 in esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24",
        "rt ipv4 dst 172.16.0.2/32 port 1", "rt ipv4 dst 10.0.2.0/24 port 0",
        "neigh port 0 02:00:00:00:01:02", "neigh port 1 02:00:00:00:0b:01"]) + "\n"


def ring_case(fwd, wd, sa_type, n=300):
    plain = [IP(bytes(IP(src=f"10.0.1.{1 + i % 200}", dst=f"10.0.2.{1 + i % 100}", id=i) /
                      (UDP(sport=1000 + i, dport=53) if i % 2 else TCP(sport=2000 + i, dport=80)) /
                      Raw(bytes((i + j) & 0xFF for j in range(i * 37 % 1300)))))
             for i in range(n)]
    frames = [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") / p for p in plain]
    rep, out, _ = run_fwd(fwd, config(sa_type), frames, [], wd, port1_vdev="net_ring0",
                          extra_args=["--exit-idle-ms", "300"])
    errors, fatal = clean_run_errors(rep)
    if fatal:
        return errors
    if (rep.get("outbound"), rep.get("inbound")) != (n, n):
        errors.append(f"outbound {rep.get('outbound')} inbound {rep.get('inbound')}, want {n} each")
    if "dpaccel-fwd: port 1 (unprotected): net_ring0, driver net_ring," not in rep["stdout"]:
        errors.append("the start-up lines do not show port 1 as net_ring0")
    if rep["ports"].get(1) != (n, n):
        errors.append(f"port 1 rx/tx {rep['ports'].get(1)}, want {n} each (each packet crossed the ring once)")
    if sorted(bytes(f.payload) for f in out) != sorted(bytes(q) for q in plain):
        errors.append(f"{len(out)} packets back out of port 0 of {n}, or different bytes")
    return errors


def run_fragmenting(fwd, wd, n, mbufs):
    """n 1480-byte DF-clear packets through a `fragment` SA (two ESP packets each) onto the ring,
    with a pool of `mbufs`: (report, what left port 0, errors so far, whether the run failed)."""
    plain = [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") /
             IP(src="10.0.1.1", dst="10.0.2.1", id=i, flags=0) / UDP(sport=1, dport=2) / Raw(b"x" * 1452)
             for i in range(n)]
    rep, out, _ = run_fwd(fwd, config("cpu-crypto", fragment=True), plain, [], wd, port1_vdev="net_ring0",
                          extra_args=["--exit-idle-ms", "300", "--mbufs", str(mbufs)])
    errors, fatal = clean_run_errors(rep, drops_expected=True)
    return rep, out, errors, fatal


def tx_full_case(fwd, wd, n=3000):
    """The ring as an output that fills: a `fragment` SA turns each 1480-byte packet into two ESP
    packets, so every pass puts two bursts on the ring and takes one back, and the ring (1024
    slots) runs full. What it refuses must be dropped as tx_queue_full, counted, with every mbuf
    back in its pool; and everything it took must come back in and out of port 0."""
    rep, out, errors, fatal = run_fragmenting(fwd, wd, n, 16384)
    if fatal:
        return errors
    full = rep["drops"].get("tx_queue_full", 0)
    if not full or set(rep["drops"]) != {"tx_queue_full"}:
        errors.append(f"drops {rep['drops']}, want only tx_queue_full (and some)")
    rx, tx = rep["ports"].get(1, (-1, -1))
    if rx != tx or tx + full != 2 * n:
        errors.append(f"port 1 rx {rx} tx {tx}; want rx = tx = {2 * n} - {full}")
    elif len(out) != rx:
        errors.append(f"{len(out)} fragments out of port 0, want the {rx} that crossed the ring")
    return errors


def fragment_no_mbuf_case(fwd, wd, n=3000):
    """The smallest pool the forwarder takes (--mbufs 1024) with the ring holding up to 1023 of
    its mbufs: a `fragment` SA cuts each packet into two fresh mbufs, and when the pool runs dry
    between the two, the packet is dropped as no_mbuf and the fragment already cut must go back
    to the pool (every one of this run's no_mbuf drops takes that branch: checked once by
    instrumenting it). Nothing may be lost: rx + fragments - packets fragmented = tx + dropped,
    and the pool is full at exit."""
    rep, _, errors, fatal = run_fragmenting(fwd, wd, n, 1024)
    if fatal:
        return errors
    if not rep["drops"].get("no_mbuf"):
        errors.append(f"drops {rep['drops']}: want no_mbuf (the pool never ran dry)")
    if not rep["fragmented"]:
        return errors + ["no fragmentation line in the report"]
    packets, frags = rep["fragmented"]
    if rep["rx"] + frags - packets != rep["tx"] + rep["dropped"]:
        errors.append(f"rx {rep['rx']} + fragments {frags} - fragmented {packets} != tx {rep['tx']} + dropped "
                      f"{rep['dropped']}")
    return errors


def main():
    fwd = sys.argv[1]
    wd = workdir()
    run_cases([(f"net_ring loopback, {t}: encrypted out, back in, decrypted, every packet equal",
                lambda t=t: ring_case(fwd, wd, t)) for t in ("lookaside-none", "cpu-crypto")] +
              [("net_ring full: what it refuses is tx_queue_full, counted, no mbuf lost",
                lambda: tx_full_case(fwd, wd)),
               ("fragment SA, pool dry between a packet's two fragments: no_mbuf, the first freed",
                lambda: fragment_no_mbuf_case(fwd, wd))])


if __name__ == "__main__":
    main()
