#!/usr/bin/python3
"""The SPD flow cache (--flow-cache) changes how fast a policy is found, never which one.

One gateway, overlapping IPv4 and IPv6 policies (protect, bypass, discard at several priorities,
port and protocol ranges), and traffic of many flows: every flow once in a row, then the flows
again in a random order, plus clear text arriving on the unprotected port (inbound policies).
Run with the cache off, with one slot (one bucket of two ways: constant collisions),
with the default and with a cache large enough to hold every flow. Checks, against the run with
the cache off: the same packets leave each port in the same order, the same drops by reason, every
mbuf back. Counters: with the cache off, no hits and no misses; otherwise hits + misses = policy
lookups, and with the large cache every distinct flow misses once (plus repeats that share an rx
burst with the flow's first packet). A bad --flow-cache
value stops start-up with a clear error.

usage: spd_flow_cache.py PATH/TO/dpaccel-fwd
"""
import random
import subprocess
import sys

from scapy.all import IP, TCP, UDP, ICMP, IPv6, Ether, Raw

from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

KEY = ":".join(f"{b:02x}" for b in range(20))
CFG = f"""sa out 1001 aead_algo aes-128-gcm aead_key {KEY} mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2
sa out 1002 aead_algo aes-128-gcm aead_key {KEY} mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.3
sp ipv4 out esp protect 1001 pri 10 src 10.0.1.0/24 dst 10.0.2.0/24
sp ipv4 out esp protect 1002 pri 5 src 10.0.1.0/25 dst 10.0.2.0/24 proto 17 dport 80:90
sp ipv4 out esp discard pri 1 src 10.0.1.0/24 dst 10.0.2.0/24 proto 6 sport 1000:1010
sp ipv4 out esp bypass pri 20 src 10.0.1.0/24 dst 10.0.9.0/24
sp ipv6 out esp bypass pri 1 src fd00:1::/48 dst fd00:2::/48 proto 17
sp ipv6 out esp discard pri 2 src fd00:1::/48 dst fd00:2::/48
sp ipv4 in esp bypass pri 1 src 10.0.9.0/24 dst 10.0.1.0/24 proto 17
sp ipv4 in esp discard pri 2 src 10.0.9.0/24 dst 10.0.1.0/24
rt ipv4 dst 172.16.0.0/24 port 1
rt ipv4 dst 10.0.9.0/24 port 1
rt ipv4 dst 10.0.1.0/24 port 0
rt ipv6 dst fd00:2::/48 port 1
neigh port 0 02:00:00:00:01:02
neigh port 1 02:00:00:00:0b:01
"""
ETH0 = Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01")
ETH1 = Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:0a:01")


def flows(rnd):
    """Distinct outbound flows (each a function of a payload) and inbound clear-text flows."""
    out, seen = [], set()
    while len(out) < 180:
        kind = rnd.random()
        if kind < 0.75:
            src = f"10.0.1.{rnd.randrange(1, 255)}"
            dst = f"10.0.{rnd.choice([2, 2, 2, 9, 7])}.{rnd.randrange(1, 255)}"
            proto = rnd.choice(["udp", "udp", "tcp", "icmp"])
            sport = rnd.choice([rnd.randrange(1, 65535), rnd.randrange(995, 1015)])
            dport = rnd.choice([rnd.randrange(1, 65535), rnd.randrange(78, 93)])
            k = (4, src, dst, proto, sport, dport)
        else:
            src = f"fd00:1::{rnd.randrange(1, 65535):x}"
            dst = f"fd00:{rnd.choice([2, 2, 3])}::{rnd.randrange(1, 65535):x}"
            proto = rnd.choice(["udp", "tcp"])
            sport, dport = rnd.randrange(1, 65535), rnd.randrange(1, 65535)
            k = (6, src, dst, proto, sport, dport)
        if proto == "icmp":
            k = k[:4] + (0, 0)
        if k not in seen:
            seen.add(k)
            out.append(k)
    inb = [(4, f"10.0.9.{rnd.randrange(1, 255)}", f"10.0.1.{rnd.randrange(1, 255)}",
            rnd.choice(["udp", "tcp"]), rnd.randrange(1, 65535), rnd.randrange(1, 65535))
           for _ in range(40)]
    return out, list(dict.fromkeys(inb))


def packet(eth, k, payload):
    v, src, dst, proto, sport, dport = k
    l3 = IP(src=src, dst=dst) if v == 4 else IPv6(src=src, dst=dst)
    l4 = (UDP(sport=sport, dport=dport) if proto == "udp" else
          TCP(sport=sport, dport=dport) if proto == "tcp" else ICMP())
    return eth / l3 / l4 / Raw(payload)


def main():
    fwd = sys.argv[1]
    wd = workdir()
    rnd = random.Random(11)
    out_flows, in_flows = flows(rnd)
    seq_out = out_flows + [rnd.choice(out_flows) for _ in range(1500)]
    seq_in = in_flows + [rnd.choice(in_flows) for _ in range(300)]
    p0 = [packet(ETH0, k, bytes([i % 256]) * (20 + i % 200)) for i, k in enumerate(seq_out)]
    p1 = [packet(ETH1, k, bytes([i % 256]) * (20 + i % 100)) for i, k in enumerate(seq_in)]
    runs = {}

    def run(size):
        if size not in runs:
            runs[size] = run_fwd(fwd, CFG, p0, p1, wd, extra_args=["--flow-cache", str(size)],
                                 timeout=120)
        return runs[size]

    def base_errors(rep):
        # This traffic is meant to hit discard and missing policies: drops are compared, not zero.
        errs, fatal = clean_run_errors(rep, drops_expected=True)
        if fatal:
            return errs
        if "spd_cache_hits" not in rep:
            errs.append("no 'policy lookups' line in the report")
        return errs

    def case_off():
        rep, o0, o1 = run(0)
        errs = base_errors(rep)
        if errs:
            return errs
        if rep["spd_cache_hits"] or rep["spd_cache_misses"]:
            errs.append(f"cache off but hits {rep['spd_cache_hits']} misses {rep['spd_cache_misses']}")
        # The policies above make every action happen: this run is the reference of the others.
        for reason in ("policy_discard", "no_policy"):
            if not rep["drops"].get(reason):
                errs.append(f"traffic never hit {reason}: {rep['drops']}")
        if not rep.get("bypass") or not rep.get("outbound"):
            errs.append(f"bypass {rep.get('bypass')} outbound {rep.get('outbound')}: expected both")
        return errs

    def same_as_off(size):
        def case():
            rep0, a0, a1 = run(0)
            rep, b0, b1 = run(size)
            errs = base_errors(rep)
            if errs:
                return errs
            if rep["drops"] != rep0["drops"]:
                errs.append(f"drops {rep['drops']} != cache off {rep0['drops']}")
            for port, a, b in ((0, a0, b0), (1, a1, b1)):
                # A packet that went to another SA or left in another order shows in the clear
                # headers and the ESP SPI and sequence number: compare those (not the IV and
                # ciphertext, which differ from run to run: each run draws its SAs' IV offsets).
                def key(p):
                    raw = bytes(p)
                    return raw[:14 + 20 + 8] if raw[14 + 9] == 50 else raw[:14 + 40]
                ka = [key(p) for p in a]
                kb = [key(p) for p in b]
                if ka != kb:
                    errs.append(f"port {port}: {len(kb)} packets out, not those of the run with "
                                f"the cache off ({len(ka)})")
            lookups = len(p0) + len(p1)
            if rep["spd_cache_hits"] + rep["spd_cache_misses"] != lookups:
                errs.append(f"hits {rep['spd_cache_hits']} + misses {rep['spd_cache_misses']} != "
                            f"{lookups} policy lookups")
            # Every distinct flow misses once; a repeat in the same rx burst as the flow's first
            # packet misses too (the cache is filled after the burst's rte_acl call), and only
            # the burst (of 32) where first packets give way to repeats has those, per port.
            distinct = len(out_flows) + len(in_flows)
            if size >= 1 << 16 and not distinct <= rep["spd_cache_misses"] <= distinct + 2 * 32:
                errs.append(f"misses {rep['spd_cache_misses']}: expected one per distinct flow "
                            f"({distinct}) plus at most one burst of repeats per port")
            if size > 1 and rep["spd_cache_hits"] < lookups // 2:
                errs.append(f"only {rep['spd_cache_hits']} hits of {lookups} lookups")
            return errs
        return case

    def case_bad_values():
        errs = []
        for bad in ("3", "-1", "x", "2097152"):
            p = subprocess.run([fwd, "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
                                "--file-prefix", "dpafc_bad", "--log-level", "lib.eal:error", "--",
                                "-f", "/dev/null", "-p", "0x1", "--flow-cache", bad],
                               capture_output=True, text=True, timeout=60)
            if p.returncode == 0 or "--flow-cache" not in p.stderr:
                errs.append(f"--flow-cache {bad}: exit {p.returncode}, stderr {p.stderr[-200:]!r}")
        return errs

    run_cases([("cache off: reference run; every policy action happens", case_off),
               ("one slot (a single bucket of two: every flow collides): same packets and drops "
                "as with the cache off",
                same_as_off(1)),
               ("default (4096 slots): same packets and drops, most lookups hit", same_as_off(4096)),
               ("1048576 slots: same packets and drops, one miss per distinct flow",
                same_as_off(1 << 20)),
               ("bad --flow-cache values are refused at start", case_bad_values)])


if __name__ == "__main__":
    main()
