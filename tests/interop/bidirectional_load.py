#!/usr/bin/python3
"""dpaccel-fwd under load in both directions at once, one lcore: thousands of packets on each
port, read as fast as net_pcap gives them (a burst per port per pass), so that the crypto queue
pair receives two bursts per pass (three with a `fragment` SA, whose packets become two ESP
packets each). A device that has finished every op must never be "full": nothing may be
dropped, every packet must come out (scapy decrypts a sample of ours; ours must decrypt every
packet scapy encrypted), and every mbuf must be back in its pool.

Before the worker drained all completions per pass, lookaside-none dropped 976 of these 6000
packets as crypto_queue_full, and 3976 with the `fragment` SA.

usage: bidirectional_load.py PATH/TO/dpaccel-fwd
"""
import sys

from scapy.all import IP, UDP, Raw, Ether
from scapy.layers.ipsec import ESP

from esp_interop import scapy_sa
from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

KEY_OUT = "2b:7e:15:16:28:ae:d2:a6:ab:f7:15:88:09:cf:4f:3c:ca:fe:ba:be"
KEY_IN = "60:3d:eb:10:15:ca:71:be:2b:73:ae:f0:85:7d:77:81:de:ad:be:ef"
N = 3000


def gcm_sa(spi, key, out):
    """scapy's end of SA `spi`: out=True decrypts what we send (172.16.0.1 -> .2)."""
    return scapy_sa("aes-128-gcm", spi, bytes.fromhex(key.replace(":", "")), b"", "ipv4-tunnel", False, False, out)


def config(sa_type, fragment):
    tun_out, tun_in = "src 172.16.0.1 dst 172.16.0.2", "src 172.16.0.2 dst 172.16.0.1"
    return "\n".join([
        f"sa out 1001 aead_algo aes-128-gcm aead_key {KEY_OUT} mode ipv4-tunnel {tun_out} type {sa_type}"
        + (" fragment" if fragment else ""),
        f"sa in 2001 aead_algo aes-128-gcm aead_key {KEY_IN} mode ipv4-tunnel {tun_in} type {sa_type}",
        "sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24",
        "sp ipv4 in esp protect 2001 pri 1 src 10.0.2.0/24 dst 10.0.1.0/24",
        "rt ipv4 dst 172.16.0.2/32 port 1", "rt ipv4 dst 10.0.1.0/24 port 0",
        "neigh port 0 02:00:00:00:01:02", "neigh port 1 02:00:00:00:0b:01"]) + "\n"


def load_case(fwd, wd, sa_type, fragment, esp_in):
    # Outbound: 200-byte datagrams, or 1460-byte ones (DF clear) that a `fragment` SA splits in two.
    size = 1432 if fragment else 172
    plain = [IP(bytes(IP(src=f"10.0.1.{1 + i % 250}", dst=f"10.0.2.{1 + i % 200}", id=i & 0xFFFF, flags=0) /
                      UDP(sport=1000 + i % 5000, dport=53) / Raw(bytes([i & 0xFF]) * size)))
             for i in range(N)]
    rep, out0, out1 = run_fwd(fwd, config(sa_type, fragment),
                              [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") / p for p in plain],
                              [Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:00:01") / e for e, _ in esp_in],
                              wd, extra_args=["-w", "1024"], timeout=180)
    errors, fatal = clean_run_errors(rep)
    if fatal:
        return errors
    want_out = 2 * N if fragment else N
    if len(out1) != want_out:
        errors.append(f"{len(out1)} ESP packets out of port 1, want {want_out}")
    if len(out0) != N:
        errors.append(f"{len(out0)} decrypted packets out of port 0, want {N}")
    elif sorted(bytes(f.payload) for f in out0) != sorted(bytes(p) for _, p in esp_in):
        errors.append("decrypted packets differ from what scapy encrypted")
    rx_sa = gcm_sa(1001, KEY_OUT, out=True)
    for f in out1[:: max(1, len(out1) // 50)]:
        try:
            rx_sa.decrypt(IP(bytes(f.payload)))
        except Exception as ex:  # noqa: BLE001 — scapy raises several types for a bad ICV
            errors.append(f"scapy cannot decrypt ESP seq {IP(bytes(f.payload))[ESP].seq}: {ex!r}")
            break
    return errors[:8]


def main():
    fwd = sys.argv[1]
    wd = workdir()
    tx_sa = gcm_sa(2001, KEY_IN, out=False)
    esp_in = []
    for i in range(N):
        p = IP(bytes(IP(src=f"10.0.2.{1 + i % 200}", dst=f"10.0.1.{1 + i % 250}", id=i & 0xFFFF) /
                     UDP(sport=53, dport=1000 + i % 5000) / Raw(bytes([(i * 7) & 0xFF]) * 180)))
        esp_in.append((tx_sa.encrypt(p, seq_num=i + 1), p))
    run_cases([(f"{N} packets each way at once, {t}{' fragment' if fr else ''}: nothing dropped",
                lambda t=t, fr=fr: load_case(fwd, wd, t, fr, esp_in))
               for t, fr in (("lookaside-none", False), ("cpu-crypto", False), ("lookaside-none", True))])


if __name__ == "__main__":
    main()
