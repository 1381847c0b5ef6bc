#!/usr/bin/python3
"""ESP interoperability between dpaccel-fwd and scapy's independent IPsec implementation.

For every algorithm and mode dpaccel supports (and ESN, NAT-T, both crypto types), one forwarder
run does both directions at once:
  * clear-text packets enter protected port 0; dpaccel encrypts them out of port 1, and scapy
    must decrypt each back to the exact packet that went in (and see consecutive sequence numbers
    and unique IVs);
  * scapy encrypts other packets that enter unprotected port 1; dpaccel must decrypt each to the
    exact packet scapy encrypted, out of port 0 with the configured next-hop MAC.
Every packet is accounted for, and every mbuf must be back in its pool at exit.

usage: esp_interop.py PATH/TO/dpaccel-fwd [--quick]
"""
import hashlib
import hmac
import random
import struct
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, Raw, Ether
from scapy.layers.ipsec import ESP, SecurityAssociation

from fwd_runner import clean_run_errors, run_cases, run_fwd, workdir

US4, PEER4 = "172.16.0.1", "172.16.0.2"
US6, PEER6 = "2001:db8::1", "2001:db8::2"
MAC_P0, MAC_P1 = "02:00:00:00:01:02", "02:00:00:00:0b:01"


def key(n, seed):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


def hexkey(b):
    return ":".join(f"{x:02x}" for x in b)


# name: (config words given keys, scapy kwargs, key sizes)
ALGOS = {
    "aes-128-gcm": ("aead", "aes-128-gcm", "AES-GCM", None, 20, 0),
    "aes-256-gcm": ("aead", "aes-256-gcm", "AES-GCM", None, 36, 0),
    "chacha20-poly1305": ("aead", "chacha20-poly1305", "CHACHA20-POLY1305", None, 36, 0),
    "aes-128-cbc/sha1-hmac": ("cipher", ("aes-128-cbc", "sha1-hmac"), "AES-CBC", "HMAC-SHA1-96", 16, 20),
    "aes-256-cbc/sha256-hmac": ("cipher", ("aes-256-cbc", "sha256-hmac"), "AES-CBC", "SHA2-256-128", 32, 32),
    "aes-128-cbc/sha256-hmac": ("cipher", ("aes-128-cbc", "sha256-hmac"), "AES-CBC", "SHA2-256-128", 16, 32),
    "null/sha256-hmac": ("cipher", ("null", "sha256-hmac"), "NULL", "SHA2-256-128", 0, 32),
    "null/sha1-hmac": ("cipher", ("null", "sha1-hmac"), "NULL", "HMAC-SHA1-96", 0, 20),
    "null/null": ("cipher", ("null", "null"), "NULL", "NULL", 0, 0),
}


def esn_hmac_icv(algo, ak, data, hi):
    """RFC 4303 §3.3.2.1: with ESN the ICV covers ESP || seq hi. scapy 2.5 leaves the high half
    out of ESP HMACs (it only puts it in the AEAD AAD), so these cases use Python's hmac."""
    digest, n = (hashlib.sha1, 12) if "sha1" in algo else (hashlib.sha256, 16)
    return hmac.new(ak, data + struct.pack("!I", hi), digest).digest()[:n]


def hmac_esn(algo, esn):
    return esn and ALGOS[algo][0] == "cipher" and ALGOS[algo][3] != "NULL"


def sa_words(algo, ck, ak):
    kind, names, *_ = ALGOS[algo]
    if kind == "aead":
        return f"aead_algo {names} aead_key {hexkey(ck)}"
    w = f"cipher_algo {names[0]} "
    if ck:
        w += f"cipher_key {hexkey(ck)} "
    w += f"auth_algo {names[1]}"
    if ak:
        w += f" auth_key {hexkey(ak)}"
    return w


def scapy_sa(algo, spi, ck, ak, mode, natt, esn, out):
    kind, _, calgo, aalgo, *_ = ALGOS[algo]
    kw = dict(crypt_algo=calgo, crypt_key=ck or None)
    if aalgo:
        kw.update(auth_algo=aalgo, auth_key=ak or None)
    if mode == "ipv4-tunnel":
        kw["tunnel_header"] = IP(src=US4, dst=PEER4) if out else IP(src=PEER4, dst=US4)
    elif mode == "ipv6-tunnel":
        kw["tunnel_header"] = IPv6(src=US6, dst=PEER6) if out else IPv6(src=PEER6, dst=US6)
    if natt:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    if esn:
        kw["esn_en"] = True
    return SecurityAssociation(ESP, spi=spi, **kw)


def traffic(n, seed, src_net, dst_net, fams):
    rnd = random.Random(seed)
    pkts = []
    for i in range(n):
        fam = fams[i % len(fams)]
        size = rnd.choice([0, 1, 2, 3, 15, 16, 17, 63, 64, 100, 255, 512, 1000, 1300])
        body = Raw(bytes(rnd.getrandbits(8) for _ in range(size)))
        l4 = [UDP(sport=1000 + i, dport=53), TCP(sport=2000 + i, dport=80, flags="PA"),
              ICMP(id=i, seq=i)][i % 3] if fam == 4 else [UDP(sport=1000 + i, dport=53),
                                                          TCP(sport=2000 + i, dport=80)][i % 2]
        if fam == 4:
            ip = IP(src=f"{src_net[0]}.{1 + i % 20}", dst=f"{dst_net[0]}.{1 + i % 30}", tos=(i * 4) % 256, ttl=64,
                    flags="DF" if i % 4 == 1 else 0)
        else:
            ip = IPv6(src=f"{src_net[1]}{1 + i % 20:x}", dst=f"{dst_net[1]}{1 + i % 30:x}", tc=(i * 4) % 256)
        pkts.append(IP(bytes(ip / l4 / body)) if fam == 4 else IPv6(bytes(ip / l4 / body)))
    return pkts


def config(algo, mode, ck, ak, natt, esn, ctype, esn_start):
    out_sa = f"sa out 1001 {sa_words(algo, ck, ak)} mode {mode}"
    in_sa = f"sa in 2001 {sa_words(algo, ck, ak)} mode {mode}"
    if mode == "ipv4-tunnel":
        out_sa += f" src {US4} dst {PEER4}"
        in_sa += f" src {PEER4} dst {US4}"
    elif mode == "ipv6-tunnel":
        out_sa += f" src {US6} dst {PEER6}"
        in_sa += f" src {PEER6} dst {US6}"
    extra = f" type {ctype}"
    if natt:
        extra += " udp-encap"
    if esn:
        # ipsec-secgw's meaning: the first number sent out, the window's top (not yet seen) in.
        extra += f" esn {esn_start + 1}"
    return "\n".join([out_sa + extra, in_sa + extra] + gateway_lines()) + "\n"


def gateway_lines():
    """Policies (SA 1001 out, 2001 in, IPv4 and IPv6), routes and neighbours of the test gateway:
    10.0.1.0/24 and fd00:1::/64 behind port 0, their peers behind port 1."""
    lines = []
    for fam, (a, b) in (("ipv4", ("10.0.1.0/24", "10.0.2.0/24")), ("ipv6", ("fd00:1::/64", "fd00:2::/64"))):
        lines.append(f"sp {fam} out esp protect 1001 pri 1 src {a} dst {b} sport 0:65535 dport 0:65535")
        lines.append(f"sp {fam} in esp protect 2001 pri 1 src {b} dst {a} sport 0:65535 dport 0:65535")
    return lines + [f"rt ipv4 dst {PEER4}/32 port 1", f"rt ipv6 dst {PEER6}/128 port 1",
                    "rt ipv4 dst 10.0.2.0/24 port 1", "rt ipv4 dst 10.0.1.0/24 port 0",
                    "rt ipv6 dst fd00:2::/64 port 1", "rt ipv6 dst fd00:1::/64 port 0",
                    f"neigh port 0 {MAC_P0}", f"neigh port 1 {MAC_P1}"]


def run_case(fwd, wd, algo, mode, natt=False, esn=False, ctype="lookaside-none", n=40, device=None):
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    fams = {"ipv4-tunnel": [4, 6], "ipv6-tunnel": [6, 4], "transport": [4, 6]}[mode]
    # ESN: start just below 2^32 so the run crosses into the high half.
    esn_start = (1 << 32) - n // 2 if esn else 0
    plain_out = traffic(n, algo + mode + "o", ("10.0.1", "fd00:1::"), ("10.0.2", "fd00:2::"), fams)
    plain_in = traffic(n, algo + mode + "i", ("10.0.2", "fd00:2::"), ("10.0.1", "fd00:1::"), fams)
    tx_sa = scapy_sa(algo, 2001, ck, ak, mode, natt, esn, out=False)
    esp_in = []
    for i, p in enumerate(plain_in):
        seq = esn_start + 1 + i
        if esn:
            tx_sa.esn = seq >> 32
        # scapy reads a seq_num of 0 as "use the SA's counter": set the counter instead.
        tx_sa.seq_num = seq & 0xFFFFFFFF
        e = tx_sa.encrypt(p.copy(), seq_num=(seq & 0xFFFFFFFF) or None)
        if hmac_esn(algo, esn):
            raw = bytearray(bytes(e))
            icv_n = 12 if "sha1" in algo else 16
            esp_off = (e.ihl * 4 if isinstance(e, IP) else 40) + (8 if natt else 0)
            raw[-icv_n:] = esn_hmac_icv(algo, ak, bytes(raw[esp_off:-icv_n]), seq >> 32)
            e = e.__class__(bytes(raw))
            if natt and isinstance(e, IPv6):
                del e[UDP].chksum
                e = IPv6(bytes(e))
        esp_in.append(Ether(src=MAC_P1, dst="02:00:00:00:00:01") / e)
    port0_in = [Ether(src=MAC_P0, dst="02:00:00:00:00:01") / p for p in plain_out]
    eal_extra, extra = (), ()
    if device:  # another cryptodev than the default (our crypto_dpaccel_cpu)
        eal_extra, extra = ("--vdev", f"{device}0"), ("--cryptodev", f"{device}0")
    rep, out0, out1 = run_fwd(fwd, config(algo, mode, ck, ak, natt, esn, ctype, esn_start), port0_in, esp_in, wd,
                              extra_args=extra, eal_extra=eal_extra)
    errors, fatal = clean_run_errors(rep)
    if fatal:
        return errors
    # dpaccel → scapy
    # Decrypted without NAT-T after checking and removing the UDP header ourselves: scapy 2.5
    # leaves the UDP header in IPv6 transport-mode NAT-T decryption.
    rx_sa = scapy_sa(algo, 1001, ck, ak, mode, False, esn, out=True)
    if len(out1) != n:
        errors.append(f"encrypted {len(out1)} of {n}")
    ivs, ids = set(), set()
    for i, (e, p) in enumerate(zip(out1, plain_out)):
        if e[Ether].dst != MAC_P1:
            errors.append(f"out#{i}: dst MAC {e[Ether].dst}")
        outer = e.payload
        outer = IP(bytes(outer)) if isinstance(outer, IP) else IPv6(bytes(outer))
        if isinstance(outer, IP):
            redo = outer.copy()
            del redo.chksum
            if IP(bytes(redo)).chksum != outer.chksum or outer.len != len(bytes(outer)):
                errors.append(f"out#{i}: outer IPv4 checksum/length wrong")
            # RFC 6864: a fragmentable packet (DF clear) needs an ID of its own.
            if mode != "transport" and not outer.flags.DF:
                if outer.id in ids:
                    errors.append(f"out#{i}: outer IPv4 ID {outer.id} repeated with DF clear")
                ids.add(outer.id)
        esp = outer[ESP] if not natt else ESP(bytes(outer[UDP].payload))
        seq = esn_start + 1 + i
        if esp.spi != 1001 or esp.seq != seq & 0xFFFFFFFF:
            errors.append(f"out#{i}: spi {esp.spi} seq {esp.seq}, want {seq & 0xFFFFFFFF}")
            continue
        # Tunnel header (RFC 4301 §5.1.2.1): TTL / hop limit the SA's (64 by default), DF copied
        # from an IPv4 inner header and set for an IPv6 one, DSCP/ECN copied into IPv6's traffic
        # class (the IPv4 TOS copy is checked below).
        if mode == "ipv4-tunnel":
            want_df = bool(p.flags.DF) if isinstance(p, IP) else True
            if outer.ttl != 64 or bool(outer.flags.DF) != want_df:
                errors.append(f"out#{i}: outer TTL {outer.ttl} / DF {outer.flags.DF}, want 64 / {want_df}")
        elif mode == "ipv6-tunnel":
            want_tc = p.tos if isinstance(p, IP) else p.tc
            if outer.hlim != 64 or outer.tc != want_tc:
                errors.append(f"out#{i}: outer hop limit {outer.hlim} / TC {outer.tc}, want 64 / {want_tc}")
        if natt:
            u = outer[UDP]
            if u.sport != 4500 or u.dport != 4500 or u.len != 8 + len(bytes(u.payload)):
                errors.append(f"out#{i}: NAT-T UDP header {u.sport}/{u.dport} len {u.len}")
            if isinstance(outer, IPv6) and UDP(bytes(u)).chksum != UDP(bytes(IPv6(bytes(outer)).payload)).chksum:
                errors.append(f"out#{i}: IPv6 UDP checksum")
            hdr = outer.copy()
            hdr.remove_payload()
            if isinstance(hdr, IP):
                hdr.proto = 50
                del hdr.len, hdr.chksum
            else:
                hdr.nh = 50
                del hdr.plen
            outer = hdr.__class__(bytes(hdr / esp))
        iv = bytes(esp.data[:16 if "cbc" in algo else 8])
        if iv and iv in ivs:
            errors.append(f"out#{i}: IV repeated")
        ivs.add(iv)
        if esn:
            rx_sa.esn = seq >> 32
        verify = True
        if hmac_esn(algo, esn):
            raw = bytes(esp)
            icv_n = 12 if "sha1" in algo else 16
            if raw[-icv_n:] != esn_hmac_icv(algo, ak, raw[:-icv_n], seq >> 32):
                errors.append(f"out#{i}: ESN ICV wrong")
                continue
            verify = False
        try:
            d = rx_sa.decrypt(outer, verify=verify)
        except Exception as ex:  # noqa: BLE001 — scapy raises several types for a bad ICV
            errors.append(f"out#{i}: scapy cannot decrypt: {ex!r}")
            continue
        got = bytes(d)
        if mode == "ipv4-tunnel" and outer.tos != (p.tos if isinstance(p, IP) else p.tc):
            errors.append(f"out#{i}: outer TOS {outer.tos} not copied")
        if got != bytes(p):
            errors.append(f"out#{i}: decrypted packet differs ({len(got)} vs {len(bytes(p))} bytes)")
    # scapy → dpaccel
    if len(out0) != n:
        errors.append(f"decrypted {len(out0)} of {n}")
    for i, (d, p) in enumerate(zip(out0, plain_in)):
        if d[Ether].dst != MAC_P0:
            errors.append(f"in#{i}: dst MAC {d[Ether].dst}")
        if bytes(d.payload) != bytes(p):
            errors.append(f"in#{i}: decrypted packet differs")
    return errors[:8]


def nat_transport_case(fwd, wd, algo, ipcomp=False):
    """Transport mode over NAT-T behind a NAT (RFC 3948 §3.1.2): the peer sealed TCP/UDP packets
    whose checksums cover its private address, and a NAT rewrote the source address outside ESP.
    dpaccel-fwd must deliver them with checksums valid for the addresses they arrive with."""
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    rnd = random.Random(algo + "nat")
    sent, want = [], []
    for i in range(24):
        v6 = i % 2 == 1
        body = Raw(bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 1, 40, 300]))))
        l4 = [UDP(sport=1000 + i, dport=53), TCP(sport=2000 + i, dport=80, flags="PA")][(i // 2) % 2]
        if v6:
            private = IPv6(src="fd00:99::7", dst=f"fd00:1::{1 + i}") / l4 / body
            public = IPv6(bytes(private))
            public.src = f"fd00:2::{1 + i}"  # the NAT's rewrite; L4 checksum left as sealed
        else:
            private = IP(src="192.168.7.7", dst=f"10.0.1.{1 + i}") / l4 / body
            public = IP(bytes(private))
            public.src = f"10.0.2.{1 + i}"
            del public.chksum  # a NAT fixes the IP header's own checksum
        public = public.__class__(bytes(public))
        good = public.copy()
        del good[l4.__class__].chksum
        want.append(bytes(good.__class__(bytes(good))))
        sent.append(public)
    tx_sa = scapy_sa(algo, 2001, ck, ak, "transport", True, False, out=False)
    esp_in = [Ether(src=MAC_P1, dst="02:00:00:00:00:01") / tx_sa.encrypt(p.copy()) for p in sent]
    cfg = config(algo, "transport", ck, ak, True, False, "lookaside-none", 0)
    rep, out0, _ = run_fwd(fwd, cfg, [], esp_in, wd)
    errors, fatal = clean_run_errors(rep)
    if fatal:
        return errors
    if len(out0) != len(want):
        errors.append(f"decrypted {len(out0)} of {len(want)}")
    for i, (d, w) in enumerate(zip(out0, want)):
        if bytes(d.payload) != w:
            got = d.payload
            errors.append(f"in#{i}: L4 checksum {got.payload.chksum:#06x}, want one valid for the NAT'd addresses")
    return errors[:8]


def fragment_case(fwd, wd, algo):
    """SA `fragment` (tunnel mode): IPv4 packets whose ESP packet would exceed the 1500-byte port
    MTU, DF clear, are fragmented before encryption. Every ESP packet fits the MTU, scapy decrypts
    each to a fragment, and the fragments reassemble to the packets sent; a second dpaccel-fwd
    decrypts them too (non-first fragments carry no ports: any-port policies take them). A DF-set
    packet too big is dropped as mtu_exceeded before it is sealed: it takes no sequence number
    (the ESP packets count 1, 2, 3... with no gap) and counts as the SA's drop; small ones pass
    whole."""
    from scapy.all import defragment
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    rnd = random.Random(algo + "frag")
    sizes = [100, 1440, 1460, 1480, 1600, 1999, 1000, 2006]
    plain = []
    for i, n in enumerate(sizes):
        body = Raw(bytes(rnd.getrandbits(8) for _ in range(n - 28)))
        plain.append(IP(bytes(IP(src=f"10.0.1.{1 + i}", dst=f"10.0.2.{1 + i}", id=1000 + i) /
                              UDP(sport=1000 + i, dport=9999) / body)))
    too_big_df = IP(bytes(IP(src="10.0.1.99", dst="10.0.2.99", flags="DF") / UDP(sport=9, dport=9) /
                          Raw(b"d" * 1572)))
    sa_line = f"1001 {sa_words(algo, ck, ak)} mode ipv4-tunnel src {US4} dst {PEER4}"
    cfg = config(algo, "ipv4-tunnel", ck, ak, False, False, "lookaside-none", 0).replace(
        f"sa out {sa_line}", f"sa out {sa_line} fragment")
    port0_in = [Ether(src=MAC_P0, dst="02:00:00:00:00:01") / p for p in plain[:4] + [too_big_df] + plain[4:]]
    rep, _, out1 = run_fwd(fwd, cfg, port0_in, [], wd)
    errors, fatal = clean_run_errors(rep, drops_expected=True)
    if fatal:
        return errors
    if rep["drops"] != {"mtu_exceeded": 1}:
        errors.append(f"drops {rep['drops']}, want one mtu_exceeded (the DF-set packet)")
    frag = rep["fragmented"]  # (packets, fragments)
    # RFC 4303 framing: outer IPv4 + ESP header + IV + (inner + 2, padded to the block) + ICV.
    iv, block, icv = (8, 4, 16) if "gcm" in algo else (16, 16, 16)
    nfrag_pkts = sum(1 for p in plain if 20 + 8 + iv + -(-(len(p) + 2) // block) * block + icv > 1500)
    if not frag or frag[0] != nfrag_pkts:
        errors.append(f"fragmented (packets, fragments): {frag}, want {nfrag_pkts} packets")
    elif rep["rx"] + frag[1] - frag[0] != rep["tx"] + rep["dropped"]:
        errors.append(f"accounting: rx {rep['rx']} + fragments - fragmented != tx {rep['tx']} + dropped")
    nfrags = frag[1] if frag else 0
    want_sa = (len(plain) - nfrag_pkts + nfrags, 1)
    if rep["sa"].get(("out", 1001)) != want_sa:
        errors.append(f"SA 1001 (packets, dropped) {rep['sa'].get(('out', 1001))}, want {want_sa}")
    seqs = [IP(bytes(e.payload))[ESP].seq for e in out1]
    if seqs != list(range(1, len(out1) + 1)):
        errors.append(f"ESP sequence numbers {seqs}: want 1..{len(out1)} with no gap")
    rx_sa = scapy_sa(algo, 1001, ck, ak, "ipv4-tunnel", False, False, out=True)
    inner = []
    for i, e in enumerate(out1):
        outer = IP(bytes(e.payload))
        if len(bytes(outer)) > 1500:
            errors.append(f"ESP packet {i}: {len(bytes(outer))} bytes, over the 1500-byte MTU")
        try:
            inner.append(IP(bytes(rx_sa.decrypt(outer))))
        except Exception as ex:  # noqa: BLE001
            errors.append(f"ESP packet {i}: scapy cannot decrypt: {ex!r}")
    whole = [IP(bytes(p)) for p in defragment(inner)]
    if sorted(bytes(p) for p in whole) != sorted(bytes(p) for p in plain):
        errors.append(f"reassembled {len(whole)} packets differ from the {len(plain)} sent")
    # The receiving gateway: our own inbound, with the SA as `sa in 1001`.
    in_cfg = f"""sa in {sa_line}
sp ipv4 in esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24 sport 0:65535 dport 0:65535
rt ipv4 dst 10.0.2.0/24 port 0
neigh port 0 {MAC_P0}
neigh port 1 {MAC_P1}
"""
    esp_in = [Ether(src=MAC_P1, dst="02:00:00:00:00:01") / e.payload for e in out1]
    rep2, out0, _ = run_fwd(fwd, in_cfg, [], esp_in, wd)
    errs2, fatal = clean_run_errors(rep2)
    errors += [f"receiving gateway: {x}" for x in errs2]
    if not fatal:
        got = [IP(bytes(p)) for p in defragment([IP(bytes(d.payload)) for d in out0])]
        if sorted(bytes(p) for p in got) != sorted(bytes(p) for p in plain):
            errors.append(f"receiving gateway: reassembled {len(got)} packets differ from those sent")
    return errors[:8]


def restart_case(fwd, wd, algo):
    """Two runs with the same configured key and traffic, as after a restart: the sequence
    numbers start over, the AEAD IVs (nonces under that key) must not. Within a run they count up
    by one per packet (a counter: never repeated within the run)."""
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    plain = traffic(16, algo + "restart", ("10.0.1", "fd00:1::"), ("10.0.2", "fd00:2::"), [4])
    port0_in = [Ether(src=MAC_P0, dst="02:00:00:00:00:01") / p for p in plain]
    cfg = config(algo, "ipv4-tunnel", ck, ak, False, False, "cpu-crypto", 0)
    errors, runs = [], []
    for r in range(2):
        rep, _, out1 = run_fwd(fwd, cfg, port0_in, [], wd)
        errs, fatal = clean_run_errors(rep)
        errors += errs
        if fatal:
            return errors
        ivs = []
        for e in out1:
            esp = IP(bytes(e.payload))[ESP]
            ivs.append(int.from_bytes(bytes(esp.data[:8]), "big"))
        if len(ivs) != len(plain):
            errors.append(f"run {r}: encrypted {len(ivs)} of {len(plain)}")
        if any((b - a) % (1 << 64) != 1 for a, b in zip(ivs, ivs[1:])):
            errors.append(f"run {r}: IVs do not count up by one: {[hex(v) for v in ivs[:4]]}")
        runs.append(set(ivs))
    if len(runs) == 2 and runs[0] & runs[1]:
        errors.append(f"{len(runs[0] & runs[1])} IVs repeated across the two runs under the same key")
    return errors[:8]


def exhaustion_case(fwd, wd, algo, ctype):
    """An ESN SA configured to send 2^64 - 2 first (`esn 2^64-2`): the first two packets go out
    as 2^64 - 2 and 2^64 - 1 and decrypt at scapy, and every later one is dropped as
    seq_overflow — the counter must not cycle (RFC 4303 §3.3.3), and must not wrap round to small
    numbers (the six arrive in one burst; later bursts after exhaustion are
    tests/unit/test_sa_sequence.cpp's)."""
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    start = (1 << 64) - 3
    plain = traffic(6, algo + "exhaust", ("10.0.1", "fd00:1::"), ("10.0.2", "fd00:2::"), [4])
    port0_in = [Ether(src=MAC_P0, dst="02:00:00:00:00:01") / p for p in plain]
    rep, _, out1 = run_fwd(fwd, config(algo, "ipv4-tunnel", ck, ak, False, True, ctype, start),
                           port0_in, [], wd)
    errors, fatal = clean_run_errors(rep, drops_expected=True)
    if fatal:
        return errors
    if rep["drops"] != {"seq_overflow": 4}:
        errors.append(f"drops {rep['drops']}, want seq_overflow: 4")
    if len(out1) != 2:
        return errors + [f"encrypted {len(out1)} of 6, want 2"]
    rx_sa = scapy_sa(algo, 1001, ck, ak, "ipv4-tunnel", False, True, out=True)
    for i, (e, p) in enumerate(zip(out1, plain)):
        seq = start + 1 + i
        outer = IP(bytes(e.payload))
        esp = outer[ESP]
        if esp.seq != seq & 0xFFFFFFFF:
            errors.append(f"out#{i}: seq {esp.seq:#x}, want {seq & 0xFFFFFFFF:#x}")
            continue
        rx_sa.esn = seq >> 32
        try:
            d = rx_sa.decrypt(outer)
        except Exception as ex:  # noqa: BLE001 — scapy raises several types for a bad ICV
            errors.append(f"out#{i}: scapy cannot decrypt with ESN high half {seq >> 32:#x}: {ex!r}")
            continue
        if bytes(d) != bytes(p):
            errors.append(f"out#{i}: decrypted packet differs")
    return errors[:8]


def with_tos(p, tos):
    """p (scapy IP or IPv6) rebuilt with TOS / traffic class `tos` (and a fresh IPv4 checksum)."""
    q = p.copy()
    if isinstance(q, IP):
        q.tos = tos
        del q.chksum
        return IP(bytes(q))
    q.tc = tos
    return IPv6(bytes(q))


def rfc6040_decap(inner, outer):
    """RFC 6040 Figure 4 (normal mode): the inner ECN field after decapsulation; None: dropped."""
    if outer == 3:
        return None if inner == 0 else 3
    if outer == 1 and inner == 2:
        return 1
    return inner


def ecn_case(fwd, wd, mode, natt=False, ctype="cpu-crypto"):
    """Inbound tunnel packets with every inner x outer ECN pair (IPv4 and IPv6 inner packets, the
    outer header's ECN set by the peer's path): each leaves with the inner ECN RFC 6040 gives
    (DSCP, flow label and everything else untouched, IPv4 checksum valid); Not-ECT under an outer
    CE is dropped as ecn_ce_not_ect."""
    algo = "aes-128-gcm"
    _, _, _, _, klen, alen = ALGOS[algo]
    ck, ak = key(klen, algo + "c"), key(alen, algo + "a")
    base = traffic(2, "ecn" + mode, ("10.0.2", "fd00:2::"), ("10.0.1", "fd00:1::"), [4, 6])
    tx_sa = scapy_sa(algo, 2001, ck, ak, mode, natt, False, out=False)
    esp_in, want = [], []
    seq = 0
    for p0 in base:
        for inner in range(4):
            for outer in range(4):
                seq += 1
                dscp = 0xb8 if isinstance(p0, IP) else 0x28  # EF, AF11
                p = with_tos(p0, dscp | inner)
                if mode == "ipv4-tunnel":
                    tx_sa.tunnel_header.tos = 0x20 | outer
                else:
                    tx_sa.tunnel_header.tc = 0x20 | outer
                e = tx_sa.encrypt(p.copy(), seq_num=seq)
                esp_in.append(Ether(src=MAC_P1, dst="02:00:00:00:00:01") / e)
                after = rfc6040_decap(inner, outer)
                if after is None:
                    continue
                want.append(bytes(with_tos(p, dscp | after)))
    rep, out0, _ = run_fwd(fwd, config(algo, mode, ck, ak, natt, False, ctype, 0), [], esp_in, wd)
    return delivered_errors(rep, out0, want, {"ecn_ce_not_ect": 2})


def delivered_errors(rep, out, want, drops):
    """A run that must deliver exactly the packets `want` (IP bytes, in order) and drop `drops`
    (reason: count), every mbuf returned."""
    errors, fatal = clean_run_errors(rep, drops_expected=True)
    if fatal:
        return errors
    if rep["drops"] != drops:
        errors.append(f"drops {rep['drops']}, want {drops}")
    got = [bytes(d.payload) for d in out]
    if len(got) != len(want):
        errors.append(f"{len(got)} packets out, want {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            errors.append(f"out#{i}: delivered packet differs from the one expected")
    return errors[:8]

def main():
    fwd = sys.argv[1]
    quick = "--quick" in sys.argv
    wd = workdir()
    cases = []
    modes = ["ipv4-tunnel", "ipv6-tunnel", "transport"]
    for i, algo in enumerate(ALGOS):
        for j, mode in enumerate(modes):
            ctype = "cpu-crypto" if (i + j) % 2 else "lookaside-none"
            cases.append(dict(algo=algo, mode=mode, ctype=ctype))
        if quick:
            continue
        cases.append(dict(algo=algo, mode="ipv4-tunnel", esn=True, ctype="cpu-crypto"))
        cases.append(dict(algo=algo, mode="transport", esn=True, ctype="lookaside-none"))
        cases.append(dict(algo=algo, mode="ipv4-tunnel", natt=True))
    cases.append(dict(algo="aes-128-gcm", mode="transport", natt=True, ctype="cpu-crypto"))
    # The same framing over DPDK's own crypto_aesni_mb (any cryptodev must do).
    for i, algo in enumerate(a for a in ALGOS if a != "null/null"):
        cases.append(dict(algo=algo, mode="ipv4-tunnel" if i % 2 else "transport", device="crypto_aesni_mb",
                          ctype="cpu-crypto" if i % 3 == 0 else "lookaside-none", esn=i % 4 == 1))
    cases.append(dict(algo="aes-256-cbc/sha256-hmac", mode="ipv6-tunnel", natt=True, esn=True))
    def name(c):
        return f"{c['algo']} {c['mode']}" + (" esn" if c.get("esn") else "") + \
               (" natt" if c.get("natt") else "") + f" {c.get('ctype', 'lookaside-none')}" + \
               (f" on {c['device']}" if c.get("device") else "")
    tests = [(name(c), lambda c=c: run_case(fwd, wd, **c)) for c in cases]
    for algo in ("aes-128-gcm", "chacha20-poly1305"):
        tests.append((f"{algo} restart: no IV repeated", lambda a=algo: restart_case(fwd, wd, a)))
    for algo in ("aes-128-gcm", "aes-256-cbc/sha256-hmac"):
        tests.append((f"{algo} ipv4-tunnel fragment: fragmented before encryption",
                      lambda a=algo: fragment_case(fwd, wd, a)))
    for algo, ctype in (("aes-128-gcm", "cpu-crypto"), ("chacha20-poly1305", "lookaside-none")):
        tests.append((f"{algo} esn 2^64-2: 2 sent, then seq_overflow (the counter never cycles)",
                      lambda a=algo, t=ctype: exhaustion_case(fwd, wd, a, t)))
    for mode, natt, ctype in (("ipv4-tunnel", False, "cpu-crypto"), ("ipv6-tunnel", False, "cpu-crypto"),
                              ("ipv4-tunnel", True, "lookaside-none"), ("ipv6-tunnel", True, "cpu-crypto")):
        tests.append((f"{mode}{' natt' if natt else ''} {ctype}: outer ECN reaches the inner header (RFC 6040)",
                      lambda m=mode, n=natt, t=ctype: ecn_case(fwd, wd, m, n, t)))
    for algo in ("aes-128-gcm", "aes-128-cbc/sha256-hmac"):
        tests.append((f"{algo} transport NAT-T behind a NAT: TCP/UDP checksums fixed",
                      lambda a=algo: nat_transport_case(fwd, wd, a)))
    run_cases(tests)


if __name__ == "__main__":
    main()
