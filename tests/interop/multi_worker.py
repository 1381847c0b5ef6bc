#!/usr/bin/python3
"""Two worker lcores sharing one SA each way: gateway A encrypts traffic arriving on two rx queues
(one pcap file each) on two lcores, gateway B decrypts it again on two lcores.

Checks: the two workers never hand out the same sequence number and leave no gap (one atomic
reservation per burst group), everything decrypts back to what was sent (scapy and gateway B), and
with the replay window shared under its lock, a packet delivered to both workers is accepted once.

usage: multi_worker.py PATH/TO/dpaccel-fwd
"""
import random
import sys

from scapy.all import IP, UDP, Ether, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation

from fwd_runner import run_fwd, workdir

KEY = bytes(range(20))
CFG_A = f"""sa out 1001 aead_algo aes-128-gcm aead_key {':'.join(f'{b:02x}' for b in KEY)} \\
mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2
sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 172.16.0.2/32 port 1
neigh port 0 02:00:00:00:01:02
neigh port 1 02:00:00:00:0b:01
"""
CFG_B = f"""sa in 1001 aead_algo aes-128-gcm aead_key {':'.join(f'{b:02x}' for b in KEY)} \\
mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2 replay_window 4096
sp ipv4 in esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 10.0.2.0/24 port 0
neigh port 0 02:00:00:00:02:02
neigh port 1 02:00:00:00:0a:01
"""


def gateway(fwd, wd, cfg, rx0, rx1):
    """A gateway with two workers; queue q of port p reads rx{p}[q]. Returns the report and the
    packets each port sent (both tx queues)."""
    rep, out0, out1 = run_fwd(fwd, cfg, rx0, rx1, wd, timeout=120, workers=2)
    return rep, {0: out0, 1: out1}


def main():
    fwd = sys.argv[1]
    wd = workdir()
    rnd = random.Random(7)
    n = 3000
    clear = [IP(src=f"10.0.1.{1 + i % 50}", dst=f"10.0.2.{1 + i % 60}") / UDP(sport=i % 60000 + 1, dport=9) /
             Raw(bytes(rnd.getrandbits(8) for _ in range(rnd.choice([10, 100, 600]))))
             for i in range(n)]
    clear = [IP(bytes(p)) for p in clear]
    eth = Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01")
    checks, errors = 0, []

    def check(cond, what):
        nonlocal checks
        checks += 1
        if not cond:
            errors.append(what)
        print(("ok     " if cond else "FAILED ") + what)

    repA, outA = gateway(fwd, wd, CFG_A, [[eth / p for p in clear[0::2]], [eth / p for p in clear[1::2]]],
                         [[], []])
    check(repA.get("returncode") == 0 and repA.get("dropped") == 0, f"gateway A ran, no drops {repA.get('drops')}")
    esp = [p[IP] for p in outA[1]]
    seqs = sorted(p[ESP].seq for p in esp)
    check(seqs == list(range(1, n + 1)), "two workers used every sequence number 1..N exactly once")
    sa = SecurityAssociation(ESP, spi=1001, crypt_algo="AES-GCM", crypt_key=KEY,
                             tunnel_header=IP(src="172.16.0.1", dst="172.16.0.2"))
    dec = sorted(bytes(sa.decrypt(IP(bytes(p)))) for p in esp)
    check(dec == sorted(bytes(p) for p in clear), "scapy decrypts all of them back to what was sent")
    check(repA.get("mbufs_in_use") == 0, "gateway A: every mbuf back")
    # Gateway B: the ESP split over two queues, plus 50 packets given to both workers.
    e1 = Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:02:01")
    dup = esp[:50]
    q0 = [e1 / p for p in esp[0::2]] + [e1 / p for p in dup]
    q1 = [e1 / p for p in esp[1::2]] + [e1 / p for p in dup]
    repB, outB = gateway(fwd, wd, CFG_B, [[], []], [q0, q1])
    check(repB.get("returncode") == 0, "gateway B ran")
    got = sorted(bytes(p[IP]) for p in outB[0])
    check(got == sorted(bytes(p) for p in clear), "gateway B's two workers decrypted every packet once")
    check(repB["drops"] == {"replay": 100}, f"the 2 x 50 repeated packets all dropped as replays: {repB['drops']}")
    check(repB.get("mbufs_in_use") == 0, "gateway B: every mbuf back")
    print(f"{checks - len(errors)} passed, {len(errors)} failed")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
