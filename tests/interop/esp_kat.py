#!/usr/bin/python3
"""Known-answer ESP packets through dpaccel-fwd's inbound path: each published ESP tunnel packet
(vectors/esp_tunnel_kat.json: draft-mcgrew-gcm-test-01's AES-GCM cases and DPDK's IPsec test
vectors for AES-CBC + HMAC-SHA256 and IPv6 tunnels) enters an unprotected port and must leave the
protected port as exactly the published clear-text packet; the same packet with one ICV bit
flipped must be dropped as auth_failed.

usage: esp_kat.py PATH/TO/dpaccel-fwd
"""
import ipaddress
import json
import os
import sys

from scapy.all import Ether, Raw

from fwd_runner import run_fwd, workdir

HERE = os.path.dirname(os.path.abspath(__file__))


def colon(h):
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def addrs(pkt, v6):
    if v6:
        return (str(ipaddress.IPv6Address(pkt[8:24])), str(ipaddress.IPv6Address(pkt[24:40])))
    return (str(ipaddress.IPv4Address(pkt[12:16])), str(ipaddress.IPv4Address(pkt[16:20])))


def main():
    fwd = sys.argv[1]
    vectors = json.load(open(os.path.join(HERE, "vectors", "esp_tunnel_kat.json")))["vectors"]
    wd = workdir()
    passed = failed = 0
    for v in vectors:
        esp, clear = bytes.fromhex(v["esp_packet"]), bytes.fromhex(v["clear_packet"])
        outer_v6 = v["outer"] == "ipv6"
        inner_v6 = clear[0] >> 4 == 6
        osrc, odst = addrs(esp, outer_v6)
        isrc, idst = addrs(clear, inner_v6)
        algo = (f"aead_algo {v['aead_algo']} aead_key {colon(v['aead_key'])}" if "aead_algo" in v else
                f"cipher_algo {v['cipher_algo']} cipher_key {colon(v['cipher_key'])} "
                f"auth_algo {v['auth_algo']} auth_key {colon(v['auth_key'])}")
        fam = "ipv6" if inner_v6 else "ipv4"
        plen = 128 if inner_v6 else 32
        cfg = (f"sa in {v['spi']} {algo} mode {'ipv6' if outer_v6 else 'ipv4'}-tunnel src {osrc} dst {odst}\n"
               f"sp {fam} in esp protect {v['spi']} pri 1 src {isrc}/{plen} dst {idst}/{plen}\n"
               f"rt {fam} dst {idst}/{plen} port 0\nneigh port 0 02:00:00:00:00:aa\n")
        etype = 0x86DD if outer_v6 else 0x0800
        bad = bytearray(esp)
        bad[-1] ^= 0x01
        pkts = [Ether(dst="02:00:00:00:00:01", type=etype) / Raw(esp),
                Ether(dst="02:00:00:00:00:01", type=etype) / Raw(bytes(bad))]
        rep, out0, _ = run_fwd(fwd, cfg, [], pkts, wd)
        errs = []
        if rep.get("returncode") != 0:
            errs.append("forwarder failed: " + rep["stderr"][-300:])
        elif len(out0) != 1 or bytes(out0[0].payload) != clear:
            errs.append(f"decrypted packet differs from the published clear text ({len(out0)} out)")
        elif rep["drops"] != {"auth_failed": 1}:
            errs.append(f"drops {rep['drops']}, expected exactly one auth_failed")
        elif rep.get("mbufs_in_use") != 0:
            errs.append("mbufs left in use")
        print(("ok     " if not errs else "FAILED ") + f"{v['name']}: {v['source']}")
        for e in errs:
            print("       " + e)
        passed += not errs
        failed += bool(errs)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
