#!/usr/bin/python3
"""dpaccel-fwd and DPDK's own ipsec-secgw (22.11, built from Debian's source package by
scripts/build-secgw) as the two ends of one ESP tunnel, with the same configuration files.

The forwarder's promise is that an ipsec-secgw user can switch with the same file, so each case
writes the two gateways' files once (A protects 10.0.1.0/24 and fd00:1::/64, B 10.0.2.0/24 and
fd00:2::/64) and runs, on pcap ports, with IPv4 and IPv6 packets:
  * gateway A as ipsec-secgw and as dpaccel-fwd on the same clear-text packets: both must send
    the same number of ESP packets, on the same SPI, with the same sequence numbers (what `esn N`
    means: the first number sent), and the same outer addresses;
  * gateway B as dpaccel-fwd on secgw's ESP packets, and as ipsec-secgw on ours: each must give
    back every clear-text packet exactly as it went into A.
A last case gives both one file of overlapping policies (two protect SAs, bypass, discard, by
priority, prefix, protocol and port range): every packet must meet the same fate at both.
secgw runs its librte_ipsec path (-l), the one where per-SA `esn` has a meaning, on DPDK's
crypto_aesni_mb; dpaccel-fwd on its default crypto_dpaccel_cpu. The `esn 0` cases are the ones
where the two programs used to disagree (ESN on here, off there: every packet failed its ICV).

AEAD SAs with `esn N` run both programs with -e (ESN for every SA): without it, ipsec-secgw 22.11
sizes its AEAD sessions' AAD from -e alone, 8 bytes, so its AAD is SPI || the sequence number's
high half instead of RFC 4106's SPI || high || low, and no RFC peer (scapy, the kernel, us)
verifies its packets; README lists it among the differences.

usage: secgw_interop.py PATH/TO/dpaccel-fwd
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

from scapy.all import ICMP, IP, IPv6, UDP, TCP, Raw, Ether, rdpcap, wrpcap
from scapy.layers.ipsec import ESP

from esp_interop import ALGOS, hexkey, key, sa_words, scapy_sa
from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAC_HOST, MAC_GW, MAC_PEER = "02:00:00:00:01:02", "02:00:00:00:00:01", "02:00:00:00:0b:01"
ENDPOINTS = {"ipv4-tunnel": ("172.16.0.1", "172.16.0.2"), "ipv6-tunnel": ("2001:db8::1", "2001:db8::2")}
NETS = {"A": "10.0.1", "B": "10.0.2"}
NETS6 = {"A": "fd00:1::", "B": "fd00:2::"}
# SPIs by direction of travel and inner family: secgw's librte_ipsec path gives an SA one inner
# family (it refuses an SPI in both `sp ipv4` and `sp ipv6` rules), so IPv6 packets get their own.
SPI = {("A", 4): 1001, ("B", 4): 2001, ("A", 6): 1003, ("B", 6): 2003}


def gateway(side, algo, mode, sa_type, esn):
    """The configuration file of gateway `side`, in ipsec-secgw 22.11's syntax (both programs read
    it): SAs 1001 (IPv4 inside) and 1003 (IPv6 inside) carry A -> B, 2001 and 2003 B -> A."""
    me, peer = ("A", "B") if side == "A" else ("B", "A")
    _, _, _, _, klen, alen = ALGOS[algo]
    t = "no-offload" if sa_type == "lookaside-none" else sa_type
    extra = f" type {t}" + (f" esn {esn}" if esn is not None else "")
    ports = "sport 0:65535 dport 0:65535"
    lines = []
    for fam in (4, 6):
        for d, frm in (("out", me), ("in", peer)):
            spi = SPI[(frm, fam)]
            s = f"sa {d} {spi} {sa_words(algo, key(klen, f'{algo}{spi}c'), key(alen, f'{algo}{spi}a'))} mode {mode}"
            if mode in ENDPOINTS:
                a_end, b_end = ENDPOINTS[mode]
                s += f" src {a_end} dst {b_end}" if frm == "A" else f" src {b_end} dst {a_end}"
            lines.append(s + extra)
        for d, (frm, to) in (("out", (me, peer)), ("in", (peer, me))):
            src, dst = (f"{NETS[frm]}.0/24", f"{NETS[to]}.0/24") if fam == 4 else (f"{NETS6[frm]}/64", f"{NETS6[to]}/64")
            lines.append(f"sp ipv{fam} {d} esp protect {SPI[(frm, fam)]} pri 1 src {src} dst {dst} {ports}")
    if mode == "ipv4-tunnel":
        lines.append(f"rt ipv4 dst {ENDPOINTS[mode][1 if side == 'A' else 0]}/32 port 1")
    elif mode == "ipv6-tunnel":
        lines.append(f"rt ipv6 dst {ENDPOINTS[mode][1 if side == 'A' else 0]}/128 port 1")
    else:
        lines += [f"rt ipv4 dst {NETS[peer]}.0/24 port 1", f"rt ipv6 dst {NETS6[peer]}/64 port 1"]
    lines += [f"rt ipv4 dst {NETS[me]}.0/24 port 0", f"rt ipv6 dst {NETS6[me]}/64 port 0",
              f"neigh port 0 {MAC_HOST}", f"neigh port 1 {MAC_PEER}"]
    return "\n".join(lines) + "\n"


def traffic(n):
    """n clear-text packets A's hosts send to B's, every third IPv6: UDP and TCP, 0 to 1300 bytes of
    payload (every one fits a 1500-byte MTU once in ESP: secgw does not check it, we drop)."""
    pkts = []
    for i in range(n):
        l4 = UDP(sport=1000 + i, dport=2000) if i % 4 else TCP(sport=3000 + i, dport=80, flags="PA")
        body = Raw(bytes((i * 7 + j) & 0xFF for j in range((i * 197) % 1301)))
        if i % 3 == 2:
            pkts.append(IPv6(bytes(IPv6(src=f"fd00:1::{1 + i:x}", dst=f"fd00:2::{1 + i % 50:x}", hlim=64) / l4 / body)))
        else:
            pkts.append(IP(bytes(IP(src=f"10.0.1.{1 + i}", dst=f"10.0.2.{1 + i % 50}", ttl=64, id=i) / l4 / body)))
    return pkts


def run_secgw(secgw, wd, tag, config_text, port0_in, port1_in, flags=()):
    """ipsec-secgw (library path, -l) on pcap ports until its input is long read, stopped with
    SIGINT (it then closes the ports, which writes the output files). Returns (out0, out1, log)."""
    cfg = os.path.join(wd, f"sg_{tag}.cfg")
    open(cfg, "w").write(config_text)
    vdevs, outs = [], []
    for port, pkts in enumerate((port0_in, port1_in)):
        rx, tx = os.path.join(wd, f"sg_in{port}_{tag}.pcap"), os.path.join(wd, f"sg_out{port}_{tag}.pcap")
        wrpcap(rx, pkts, linktype=1)
        vdevs += ["--vdev", f"net_pcap{port},rx_pcap={rx},tx_pcap={tx}"]
        outs.append(tx)
    cmd = [secgw, "-l", "0", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
           "--file-prefix", f"dpasg_{tag}_{os.getpid()}", "--log-level", "lib.eal:warning",
           "--vdev", "crypto_aesni_mb0", *vdevs, "--",
           "-p", "0x3", "-u", "0x2", "-f", cfg, "-l", "--config", "(0,0,0),(1,0,0)", *flags]
    # Its main loop polls the pcap files once it has started (a second or so on a slow VM): give
    # the few packets a generous second after that, however long start-up took. Its output is
    # read by a thread, so a secgw that hangs silently still meets the deadline.
    lines, started = [], threading.Event()

    def read(stream):
        for line in stream:
            lines.append(line)
            if "entering main loop" in line:
                started.set()
        started.set()  # exited

    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = threading.Thread(target=read, args=(p.stdout,), daemon=True)
    reader.start()
    try:
        started.wait(60)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            reader.join(5)
            return None, None, "ipsec-secgw did not stop on SIGINT:\n" + "".join(lines)[-1500:]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reader.join(5)
    rest = ""
    log = "".join(lines) + rest
    if p.returncode != 0:
        return None, None, f"ipsec-secgw exited {p.returncode}:\n" + log[-1500:]
    got = [rdpcap(t) if os.path.exists(t) and os.path.getsize(t) > 24 else [] for t in outs]
    return got[0], got[1], log


def esp_view(frame):
    """(outer src, outer dst, spi, seq) of an ESP frame, or None if it is not one."""
    outer = frame.payload
    if not isinstance(outer, (IP, IPv6)) or ESP not in outer:
        return None
    esp = outer[ESP]
    return (outer.src, outer.dst, esp.spi, esp.seq)


def inner_ip(frame):
    return bytes(frame.payload) if isinstance(frame.payload, (IP, IPv6)) else None


def case(fwd, secgw, wd, tag, algo, mode, sa_type, esn, all_esn, n=12):
    cfg_a, cfg_b = (gateway(s, algo, mode, sa_type, esn) for s in "AB")
    flags = ["-w", "64"] + (["-e"] if all_esn else [])
    plain = traffic(n)
    frames_a = [Ether(src=MAC_HOST, dst=MAC_GW) / p for p in plain]

    errors = []
    # Gateway A, both programs, same file, same packets.
    _, sg_esp, log = run_secgw(secgw, wd, tag + "a", cfg_a, frames_a, [], flags)
    if sg_esp is None:
        return [f"ipsec-secgw as A: {log}"]
    rep, _, our_esp = run_fwd(fwd, cfg_a, frames_a, [], wd, extra_args=flags)
    errs, fatal = clean_run_errors(rep)
    if fatal:
        return ["dpaccel-fwd as A: " + e for e in errs]
    errors += ["dpaccel-fwd as A: " + e for e in errs]
    sg_view, our_view = [esp_view(f) for f in sg_esp], [esp_view(f) for f in our_esp]
    if len(sg_esp) != n or None in sg_view:
        return errors + [f"ipsec-secgw as A sent {len(sg_esp)} ESP packets of {n} (or non-ESP): {log[-800:]}"]
    if len(our_esp) != n or None in our_view:
        errors.append(f"dpaccel-fwd as A sent {len(our_esp)} packets for {n}, or some not in ESP")
    # Per SA, in order (the two programs may send a burst's IPv4 and IPv6 groups in either order).
    want_first = esn or 1  # `esn 0` and no `esn` both start at 1
    for spi in (1001, 1003):
        sg_spi, our_spi = [v for v in sg_view if v[2] == spi], [v for v in our_view if v and v[2] == spi]
        if sg_spi != our_spi:
            errors.append(f"A's ESP on SA {spi} (outer src, dst, spi, seq) differ: secgw {sg_spi[:2]}..., "
                          f"ours {our_spi[:2]}...")
        if [v[3] for v in sg_spi] != [(want_first + i) & 0xFFFFFFFF for i in range(len(sg_spi))] or not sg_spi:
            errors.append(f"secgw's sequence numbers on SA {spi}: {[v[3] for v in sg_spi][:4]}..., "
                          f"want from {want_first:#x}")

    # Gateway B: ours decrypts secgw's packets, secgw decrypts ours.
    rep, our_clear, _ = run_fwd(fwd, cfg_b, [], [Ether(src=MAC_PEER, dst=MAC_GW) / f.payload for f in sg_esp],
                                wd, extra_args=flags)
    errs, fatal = clean_run_errors(rep)
    errors += ["dpaccel-fwd as B (secgw's ESP): " + e for e in errs]
    if not fatal:
        got = sorted(inner_ip(f) or b"" for f in our_clear)
        if got != sorted(bytes(p) for p in plain):
            errors.append(f"dpaccel-fwd as B gave back {len(got)} packets of {n}, or different bytes")
    our_esp_in = [Ether(src=MAC_PEER, dst=MAC_GW) / f.payload for f in our_esp]
    sg_clear, _, log = run_secgw(secgw, wd, tag + "b", cfg_b, [], our_esp_in, flags)
    if sg_clear is None:
        return errors + [f"ipsec-secgw as B: {log}"]
    got = sorted(inner_ip(f) or b"" for f in sg_clear)
    if got != sorted(bytes(p) for p in plain):
        errors.append(f"ipsec-secgw as B gave back {len(got)} of {n} of our ESP packets, or different bytes: "
                      f"{log[-800:]}")
    return errors[:8]


def policy_case(fwd, secgw, wd):
    """One file with overlapping policies (protect to two SAs, bypass, discard, by priority,
    prefix, protocol and port range): every packet must meet the same fate at both programs —
    sent in ESP under the same SA, sent in clear unchanged, or dropped — and every fate occurs."""
    k1, k2 = key(20, "policy1001"), key(20, "policy1002")
    gcm = "aead_algo aes-128-gcm aead_key "
    tun = "mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2"
    any_ports = "sport 0:65535 dport 0:65535"
    cfg = "\n".join([
        f"sa out 1001 {gcm}{hexkey(k1)} {tun}",
        f"sa out 1002 {gcm}{hexkey(k2)} {tun}",
        # secgw refuses to start without an inbound SA; this one sees no traffic.
        f"sa in 2001 {gcm}{hexkey(k2)} mode ipv4-tunnel src 172.16.0.2 dst 172.16.0.1",
        f"sp ipv4 in esp protect 2001 pri 1 src 10.0.2.0/24 dst 10.0.1.0/24 {any_ports}",
        f"sp ipv4 out esp protect 1001 pri 10 src 10.0.1.0/24 dst 10.0.2.0/24 {any_ports}",
        "sp ipv4 out esp protect 1002 pri 20 src 10.0.1.0/24 dst 10.0.2.0/24 proto 17:17 "
        "sport 0:65535 dport 5000:5999",
        f"sp ipv4 out esp bypass pri 30 src 10.0.1.0/24 dst 10.0.2.128/25 {any_ports}",
        "sp ipv4 out esp discard pri 40 src 10.0.1.0/24 dst 10.0.2.0/24 proto 6:6 sport 0:65535 dport 23:23",
        "rt ipv4 dst 172.16.0.2/32 port 1", "rt ipv4 dst 10.0.2.0/24 port 1", "rt ipv4 dst 10.0.1.0/24 port 0",
        f"neigh port 0 {MAC_HOST}", f"neigh port 1 {MAC_PEER}"]) + "\n"
    plain = []
    for dst in ("10.0.2.5", "10.0.2.200", "10.0.3.1"):
        for l4 in (UDP(sport=999, dport=53), UDP(sport=999, dport=5000), UDP(sport=999, dport=5999),
                   UDP(sport=999, dport=6000), TCP(sport=999, dport=23), TCP(sport=999, dport=80),
                   ICMP(type=8, id=7)):
            plain.append(IP(bytes(IP(src="10.0.1.9", dst=dst, id=len(plain) + 1, ttl=64) / l4 / Raw(b"p" * 40))))
    frames = [Ether(src=MAC_HOST, dst=MAC_GW) / p for p in plain]
    sas = {spi: scapy_sa("aes-128-gcm", spi, k, b"", "ipv4-tunnel", False, False, out=True)
           for spi, k in ((1001, k1), (1002, k2))}

    def fates(out1):
        f, clear = {}, {}
        for fr in out1:
            ip = fr.payload
            if ESP in ip:
                try:
                    inner = sas[ip[ESP].spi].decrypt(IP(bytes(ip)))
                except Exception as ex:  # noqa: BLE001 — an unknown SPI or a bad ICV
                    errors.append(f"ESP packet SPI {ip[ESP].spi} seq {ip[ESP].seq}: not decrypted: {ex!r}")
                    continue
                f[inner.id] = f"esp {ip[ESP].spi}"
            else:
                f[ip.id] = "clear"
                clear[ip.id] = bytes(ip)
        return {p.id: f.get(p.id, "dropped") for p in plain}, clear

    _, sg_out, log = run_secgw(secgw, wd, "policy", cfg, frames, [], ["-w", "64"])
    if sg_out is None:
        return [f"ipsec-secgw: {log}"]
    rep, _, our_out = run_fwd(fwd, cfg, frames, [], wd, extra_args=["-w", "64"])
    errors, fatal = clean_run_errors(rep, drops_expected=True)
    if fatal:
        return errors
    (sg_f, sg_clear), (our_f, our_clear) = fates(sg_out), fates(our_out)
    for p in plain:
        if sg_f[p.id] != our_f[p.id]:
            errors.append(f"{p.dst} {p.payload.summary()}: secgw {sg_f[p.id]}, ours {our_f[p.id]}")
    for i in set(sg_clear) & set(our_clear):
        if sg_clear[i] != our_clear[i]:
            errors.append(f"packet {i} sent in clear differs between the two")
    if set(our_f.values()) != {"esp 1001", "esp 1002", "clear", "dropped"}:
        errors.append(f"not every fate occurred: {sorted(set(our_f.values()))}")
    if rep["dropped"] != list(our_f.values()).count("dropped"):
        errors.append(f"dropped {rep['dropped']} ({rep['drops']}), fates say {list(our_f.values()).count('dropped')}")
    return errors[:8]


# dpaccel's own `sa` keywords (README), which ipsec-secgw refuses as unrecognized input.
DPACCEL_ONLY = re.compile(r"(?:^[ \t]*|[ \t]+)(?:fragment|replay_window[ \t]+\d+|ttl[ \t]+\d+|ipcomp[ \t]+\d+|"
                          r"ipcomp_min[ \t]+\d+|ipcomp_level[ \t]+\d+|ipcomp_huffman[ \t]+\w+|"
                          r"ipcomp_skip[ \t]+\S+)(?=[ \t]|\\|$)", re.M)
# What ipsec-secgw 22.11 (-l, no-offload / cpu-crypto SAs) cannot run at all, by file.
SECGW_REFUSES = {"natt.cfg": "UDP encapsulation not supported for security session type 0"}


def shipped_configs_case(secgw, wd):
    """Every config/*.cfg, without dpaccel's own keywords, starts ipsec-secgw (-l) — the examples
    are secgw files — except where README says secgw lacks the feature (SECGW_REFUSES); and each
    file that has dpaccel keywords really is refused with them (they are not secgw's)."""
    cfg_dir = os.path.join(TOP, "config")
    errors = []
    for name in sorted(f for f in os.listdir(cfg_dir) if f.endswith(".cfg")):
        text = open(os.path.join(cfg_dir, name)).read()
        stripped = DPACCEL_ONLY.sub("", text)
        variants = [(stripped, SECGW_REFUSES.get(name))]
        if stripped != text and name not in SECGW_REFUSES:
            variants.append((text, "unrecognized input"))
        for i, (cfg, refusal) in enumerate(variants):
            out0, _, log = run_secgw(secgw, wd, f"cfg{i}_{name}", cfg, [], [], ["-e"] if "esn" in cfg else [])
            started = out0 is not None and "entering main loop" in log
            if refusal is None and not started:
                errors.append(f"{name}{' (dpaccel keywords removed)' if stripped != text else ''}: ipsec-secgw "
                              f"does not start: {log[-300:]}")
            elif refusal is not None and (started or refusal not in log):
                errors.append(f"{name}{' as shipped' if i else ''}: want ipsec-secgw to refuse it with "
                              f"'{refusal}', got: {log[-300:]}")
    return errors


def main():
    fwd = sys.argv[1]
    r = subprocess.run([os.path.join(TOP, "scripts", "build-secgw"),
                        os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(fwd)))),
                                     "ipsec-secgw-example")], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(1)
    secgw = r.stdout.strip()
    wd = workdir()
    # (algorithm, mode, SA type, `esn` value or None, -e); AEAD SAs with `esn N` need -e (above).
    cases = [("aes-128-gcm", "ipv4-tunnel", "lookaside-none", None, False),
             ("aes-128-gcm", "ipv4-tunnel", "cpu-crypto", 0, False),
             ("aes-128-gcm", "ipv4-tunnel", "lookaside-none", 0, True),
             ("aes-256-gcm", "ipv6-tunnel", "lookaside-none", (1 << 32) - 5, True),
             ("aes-256-cbc/sha256-hmac", "ipv4-tunnel", "lookaside-none", 0, False),
             ("aes-128-cbc/sha1-hmac", "ipv4-tunnel", "cpu-crypto", (1 << 32) - 5, False),
             ("chacha20-poly1305", "transport", "lookaside-none", 7, True),
             ("null/sha256-hmac", "ipv4-tunnel", "lookaside-none", None, False)]
    tests = []
    for i, (algo, mode, t, esn, all_esn) in enumerate(cases):
        name = f"{algo} {mode} {t}" + ("" if esn is None else f" esn {esn}") + (" -e" if all_esn else "")
        tests.append((name, lambda i=i, a=algo, m=mode, t=t, e=esn, ae=all_esn:
                      case(fwd, secgw, wd, f"c{i}", a, m, t, e, ae)))
    tests.append(("policies: protect to two SAs, bypass, discard, by priority: same fate for every packet",
                  lambda: policy_case(fwd, secgw, wd)))
    tests.append(("config/*.cfg are ipsec-secgw files (but for dpaccel's own keywords and NAT-T)",
                  lambda: shipped_configs_case(secgw, wd)))
    run_cases(tests)


if __name__ == "__main__":
    main()
