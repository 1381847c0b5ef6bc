#!/usr/bin/python3
"""Writes config/demo-traffic.pcap, the traffic scripts/demo sends through gateway A
(gcm-tunnel-gw-a.cfg): 400 packets from hosts 10.0.1.0/24 to 10.0.2.0/24 in an IMIX-like size
mix (TCP, UDP, ICMP), plus 8 packets to 10.0.3.0/24, for which no policy exists (the demo shows
them counted under `no_policy`). Deterministic: rerunning gives the same file."""
import random
import sys

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, wrpcap

rnd = random.Random(20261127)
pkts = []
for i in range(408):
    stray = i % 51 == 50
    size = rnd.choice([64] * 7 + [594] * 4 + [1418])  # IMIX frame sizes
    ip = IP(src=f"10.0.1.{1 + i % 40}", dst=f"10.0.{3 if stray else 2}.{1 + i % 25}", id=i)
    l4 = [TCP(sport=40000 + i % 97, dport=443, seq=i, flags="PA"), UDP(sport=5000 + i % 13, dport=4789),
          ICMP(id=7, seq=i)][i % 3]
    hdr = Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") / ip / l4
    fill = max(0, size - len(hdr))
    pkts.append(hdr / Raw(bytes(rnd.getrandbits(8) for _ in range(fill))))
wrpcap(sys.argv[1] if len(sys.argv) > 1 else "demo-traffic.pcap", pkts)
