#include "pipeline/gateway_worker.hpp"

#include <rte_cycles.h>
#include <rte_prefetch.h>
#include <rte_ethdev.h>
#include <rte_udp.h>

#include <cerrno>
#include <cstring>

#include "ipsec/esp_crypto.hpp"
#include "packet/ip_packet.hpp"
#include "policy/sp_batch.hpp"

namespace dpaccel {

namespace {

static_assert(kBurst <= kIpcompMaxBurst, "IPComp takes a whole burst per call");
static_assert(kBurst <= kEspCryptoMaxBurst, "CPU-crypto takes a whole burst per call");

// Packet data is touched first in classification: fetch a few packets ahead (as l3fwd does).
// Outbound fetches three lines per packet (prefetch_for_esp) and 8 ahead beat 4 there (+1 % at
// 1420 B, 0-2 % at 64 B, interleaved runs); inbound, one line per packet, stays at 4 (8 was not
// better).
constexpr uint16_t kPrefetchAhead = 4;
constexpr uint16_t kPrefetchAheadOut = 8;

// Outbound ESP writes the outer headers into the headroom just before the packet and the trailer
// and ICV just after it: lines the NIC (or net_pcap's copy) did not touch, and each a cache miss
// that stalls the stores of esp_outbound_prepare unless it was fetched ahead.
inline void prefetch_for_esp(const rte_mbuf* m) {
  const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
  rte_prefetch0(d);
  if (m->data_off >= RTE_CACHE_LINE_SIZE) rte_prefetch0_write(d - RTE_CACHE_LINE_SIZE);
  rte_prefetch0_write(d + m->data_len);
}

// A spinlock taken only when several workers share the SA.
class OptionalLock {
 public:
  OptionalLock(rte_spinlock_t& l, bool take) : l_(take ? &l : nullptr) {
    if (l_) rte_spinlock_lock(l_);
  }
  ~OptionalLock() {
    if (l_) rte_spinlock_unlock(l_);
  }
  OptionalLock(const OptionalLock&) = delete;
  OptionalLock& operator=(const OptionalLock&) = delete;

 private:
  rte_spinlock_t* l_;
};

}  // namespace

GatewayWorker::GatewayWorker(Gateway& gw, std::vector<RxQueueRef> rx, uint16_t crypto_qp,
                             uint16_t tx_queue, uint32_t flow_cache)
    : gw_(gw),
      rx_(std::move(rx)),
      dev_id_(gw.crypto().id()),
      qp_(crypto_qp),
      txq_(tx_queue),
      flow_cache_(flow_cache) {
  counters_.sa.resize(gw.sas().size());
  if (CompressDevice* cd = gw.compress())
    ipcomp_ = std::make_unique<IpcompWorker>(*cd, crypto_qp, gw.ipcomp_xforms(crypto_qp),
                                             gw.sas().size());
  tx_dirty_.reserve(kMaxPorts);
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    const PortInfo& pi = gw.port(p);
    TxPort& tp = tx_port_[p];
    tp.enabled = pi.enabled;
    tp.mtu = pi.mtu;
    const rte_ether_addr* dst = gw.routes().neighbour(p);
    tp.has_neighbour = dst != nullptr;
    if (!dst) continue;
    for (int v6 = 0; v6 < 2; ++v6) {
      rte_ether_hdr h;
      h.dst_addr = *dst;
      h.src_addr = pi.mac;
      h.ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
      std::memcpy(tp.l2[v6].data(), &h, sizeof h);
    }
  }
  // Routes and MTUs are fixed while traffic flows: each outbound tunnel SA's limits are known now.
  frag_limit_.assign(gw.sas().size(), 0);
  payload_limit_.assign(gw.sas().size(), kNoPayloadLimit);
  for (size_t i = 0; i < gw.sas().size(); ++i) {
    const Sa& sa = gw.sas().at(uint32_t(i));
    if (sa.dir != SaDirection::Outbound || sa.mode == SaMode::Transport) continue;
    payload_limit_[i] = tunnel_payload_limit(sa);
    if (sa.fragment) frag_limit_[i] = fragment_limit(payload_limit_[i]);
  }
  gw.register_counters(&counters_);
}

uint32_t GatewayWorker::poll() {
  uint32_t got = 0;
  rte_mbuf* pkts[kBurst];
  for (const RxQueueRef& q : rx_) {
    uint16_t n = rte_eth_rx_burst(q.port, q.queue, pkts, kBurst);
    if (n == 0) continue;
    got += n;
    process(q.port, pkts, n);
  }
  poll_crypto();
  flush_tx();
  return got;
}

void GatewayWorker::process(uint16_t port, rte_mbuf** pkts, uint16_t n) {
  counters_.rx[port] += n;
  if (gw_.port(port).unprotected)
    inbound(pkts, n);
  else
    outbound(pkts, n);
}

// ---- outbound: policy, then ESP per SA group ----------------------------------------------------

void GatewayWorker::outbound(rte_mbuf** pkts, uint16_t n) {
  SpBatch<kBurst> batch;
  bool v6[kBurst];
  for (uint16_t i = 0; i < n && i < kPrefetchAheadOut; ++i) prefetch_for_esp(pkts[i]);
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAheadOut < n) prefetch_for_esp(pkts[i + kPrefetchAheadOut]);
    L3Info info;
    DropReason r = strip_l2(pkts[i], info);
    if (r != kPass) {
      drop(pkts[i], r);
      pkts[i] = nullptr;
      continue;
    }
    v6[i] = info.v6;
    batch.add(pkts[i], info.v6, i);
  }
  uint32_t verdict[kBurst];
  batch.classify(gw_.spd(), SaDirection::Outbound, verdict, flow_cache_, counters_.spd_cache_hits,
                 counters_.spd_cache_misses);
  rte_mbuf* prot[kBurst];
  bool prot_v6[kBurst];
  uint32_t prot_sa[kBurst];
  uint16_t np = 0;
  bool others = false;
  // Two passes: with the bypass and drop handling in this loop, the compiler kept np in memory
  // and each packet waited on the reload of the previous one's store.
  for (uint16_t i = 0; i < n; ++i) {
    if (!pkts[i]) continue;
    const uint32_t v = verdict[i];
    if (SpVerdict::protect(v)) {
      prot[np] = pkts[i];
      prot_v6[np] = v6[i];
      prot_sa[np++] = SpVerdict::sa_index(v);
    } else {
      others = true;
    }
  }
  if (others) {
    for (uint16_t i = 0; i < n; ++i) {
      if (!pkts[i]) continue;
      const uint32_t v = verdict[i];
      if (SpVerdict::protect(v)) continue;
      if (v == SpVerdict::kBypass)
        send(pkts[i], v6[i], counters_.bypass);
      else
        drop(pkts[i], v == SpVerdict::kDiscard ? DropReason::PolicyDiscard : DropReason::NoPolicy);
    }
  }
  if (np) protect(prot, prot_v6, prot_sa, np);
}

void GatewayWorker::protect(rte_mbuf** m, const bool* v6, const uint32_t* sa_idx, uint16_t n) {
  // Bursts mostly carry one SA: then the burst is its group, without a grouping pass.
  bool one_sa = true;
  for (uint16_t i = 1; i < n; ++i) one_sa &= sa_idx[i] == sa_idx[0];
  if (one_sa) {
    protect_group(gw_.sas().at(sa_idx[0]), m, v6, n);
    return;
  }
  bool done[kBurst] = {};
  for (uint16_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    rte_mbuf* gm[kBurst];
    bool gv6[kBurst];
    uint16_t k = 0;
    for (uint16_t j = i; j < n; ++j)
      if (!done[j] && sa_idx[j] == sa_idx[i]) {
        gm[k] = m[j];
        gv6[k++] = v6[j];
        done[j] = true;
      }
    protect_group(gw_.sas().at(sa_idx[i]), gm, gv6, k);
  }
}

// One SA's packets, in arrival order: ESP (and IPComp) framing, then crypto.
void GatewayWorker::protect_group(Sa& sa, rte_mbuf** m, const bool* v6, uint16_t n) {
  rte_mbuf* pk[kBurst];
  EspInner in[kBurst];
  uint16_t ni = 0;
  // A tunnel SA's ESP packets all leave by one port: a packet whose ESP packet would not fit its
  // MTU is fragmented (SA `fragment`) or dropped here, before it takes a sequence number and a
  // crypto op; with IPComp, seal() decides after compressing, which may make it fit. (Transport
  // mode is routed packet by packet: send() checks those.)
  const uint32_t limit = payload_limit_[sa.index];
  for (uint16_t t = 0; t < n; ++t) {
    DropReason r = esp_outbound_inner(sa, m[t], v6[t], in[ni]);
    if (r != kPass) {
      drop_sa(m[t], r, sa.index);
    } else if (in[ni].ip_len > limit) [[unlikely]] {
      const uint32_t frag = frag_limit_[sa.index];
      if (frag && !v6[t] && !in[ni].df &&
          rte_ipv4_hdr_len(rte_pktmbuf_mtod(m[t], const rte_ipv4_hdr*)) == sizeof(rte_ipv4_hdr)) {
        // Packets of one SA leave in order: what came before goes first.
        seal(sa, pk, in, ni);
        ni = 0;
        fragment_and_protect(sa, m[t], frag);
      } else if (sa.ipcomp) {
        pk[ni++] = m[t];
      } else {
        drop_sa(m[t], DropReason::MtuExceeded, sa.index);
      }
    } else {
      pk[ni++] = m[t];
    }
  }
  seal(sa, pk, in, ni);
}

uint32_t GatewayWorker::tunnel_payload_limit(const Sa& sa) const {
  uint32_t dst4;
  std::memcpy(&dst4, sa.outer_dst, 4);
  const int port = sa.outer_v6 ? gw_.routes().lookup6(sa.outer_dst) : gw_.routes().lookup4(dst4);
  if (port < 0 || !tx_port_[port].enabled) return kNoPayloadLimit;  // send() drops: no_route
  // ESP packet = outer header (+ UDP) + ESP header + IV + ciphertext (payload + 2, padded to the
  // block) + ICV, as esp_outbound_prepare lays it out (an ESN's high half is gone by then).
  const uint32_t fixed = (sa.outer_v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr)) +
                         (sa.natt ? kUdpHeaderLen : 0) + kEspHeaderLen + sa.iv_len + sa.icv_len;
  const uint32_t mtu = tx_port_[port].mtu;
  if (mtu < fixed + sa.block) return 0;  // not even an empty payload fits
  return ((mtu - fixed) & ~uint32_t(sa.block - 1)) - 2;
}

uint32_t GatewayWorker::fragment_limit(uint32_t payload_limit) {
  // A fragment needs its IPv4 header and at least 8 payload bytes.
  if (payload_limit == kNoPayloadLimit || payload_limit < sizeof(rte_ipv4_hdr) + 8) return 0;
  return payload_limit;
}

void GatewayWorker::fragment_and_protect(Sa& sa, rte_mbuf* m, uint32_t limit) {
  // RFC 791: every fragment but the last carries a multiple of 8 payload bytes; all keep the
  // original's header (no options here) with their offset, MF and length.
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
  const uint32_t hl = sizeof(rte_ipv4_hdr), total = rte_be_to_cpu_16(ip->total_length);
  const uint32_t step = (limit - hl) & ~7u;
  rte_mbuf* frag[kBurst];
  bool v6[kBurst] = {};
  uint16_t nf = 0;
  for (uint32_t off = 0; off < total - hl; off += step) {
    const uint32_t len = std::min(step, total - hl - off);
    rte_mbuf* f = rte_pktmbuf_alloc(m->pool);
    uint8_t* d =
        f ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(f, uint16_t(hl + len))) : nullptr;
    if (!d) [[unlikely]] {
      if (f) rte_pktmbuf_free(f);
      for (uint16_t k = 0; k < nf; ++k) rte_pktmbuf_free(frag[k]);
      drop_sa(m, DropReason::NoMbuf, sa.index);
      return;
    }
    std::memcpy(d, ip, hl);
    std::memcpy(d + hl, reinterpret_cast<const uint8_t*>(ip) + hl + off, len);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(d);
    const bool more = off + len < total - hl;
    h->total_length = rte_cpu_to_be_16(uint16_t(hl + len));
    h->fragment_offset = rte_cpu_to_be_16(uint16_t(off / 8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
    h->hdr_checksum = 0;
    h->hdr_checksum = rte_ipv4_cksum(h);
    f->port = m->port;
    frag[nf++] = f;
    if (nf == kBurst) {  // more than a burst of fragments (a 64 KiB packet): in order, in parts
      protect_group(sa, frag, v6, nf);
      counters_.fragments += nf;
      nf = 0;
    }
  }
  ++counters_.fragmented;
  counters_.fragments += nf;
  rte_pktmbuf_free(m);
  protect_group(sa, frag, v6, nf);
}

void GatewayWorker::seal(Sa& sa, rte_mbuf** pk, EspInner* in, uint16_t ni) {
  if (ni == 0) return;
  EspJob jobs[kBurst];
  if (sa.ipcomp) {
    ipcomp_->compress(sa, pk, in, ni, counters_.sa[sa.index].ipcomp);
    // What protect_group let through for IPComp to shrink: too big still, dropped unsealed.
    if (const uint32_t limit = payload_limit_[sa.index]; limit != kNoPayloadLimit) {
      uint16_t k = 0;
      for (uint16_t t = 0; t < ni; ++t) {
        if (pk[t]->data_len > limit) {
          drop_sa(pk[t], DropReason::MtuExceeded, sa.index);
          continue;
        }
        pk[k] = pk[t];
        in[k++] = in[t];
      }
      ni = k;
      if (ni == 0) return;
    }
  }
  // One atomic per group reserves its sequence numbers; those it could not get would cycle the
  // counter (RFC 4303 §3.3.3: the SA needs re-keying).
  uint64_t first = 0;
  const uint32_t got = sa.reserve_seq(ni, &first);
  uint16_t nj = 0;
  for (uint16_t t = 0; t < ni; ++t) {
    if (t >= got) [[unlikely]] {
      drop_sa(pk[t], DropReason::SeqOverflow, sa.index);
      continue;
    }
    DropReason r = esp_outbound_prepare(sa, pk[t], in[t], first + t, jobs[nj]);
    if (r != kPass)
      drop_sa(pk[t], r, sa.index);
    else
      ++nj;
  }
  if (nj) submit(sa, jobs, nj);
}

// ---- inbound: SAD lookup, replay check, crypto; clear-text traffic against inbound policy ------

void GatewayWorker::inbound(rte_mbuf** pkts, uint16_t n) {
  rte_mbuf* esp[kBurst];
  uint32_t spi[kBurst];
  L3Info esp_info[kBurst];
  uint16_t ne = 0;
  SpBatch<kBurst> clear;  // clear-text arrivals, indexed by arrival
  bool clear_v6[kBurst];
  for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    rte_mbuf* m = pkts[i];
    pkts[i] = nullptr;  // from here on: set again only for clear text
    L3Info info;
    DropReason r = strip_l2(m, info);
    if (r != kPass) {
      drop(m, r);
      continue;
    }
    uint32_t esp_at = info.l3_len;
    bool is_esp = info.proto == kIpProtoEsp;
    if (info.proto == kIpProtoUdp && m->data_len >= info.l3_len + kUdpHeaderLen) {
      auto* u = rte_pktmbuf_mtod_offset(m, const rte_udp_hdr*, info.l3_len);
      if (u->dst_port == rte_cpu_to_be_16(kNatTPort)) {
        // RFC 3948 §2.2/2.3: one 0xff byte is a keepalive; a zero "SPI" is IKE's non-ESP marker.
        uint32_t payload = m->data_len - info.l3_len - kUdpHeaderLen;
        const uint8_t* p = reinterpret_cast<const uint8_t*>(u + 1);
        if (payload == 1 && p[0] == 0xff) {
          drop(m, DropReason::NattKeepalive);
          continue;
        }
        if (payload >= 4 && std::memcmp(p, "\0\0\0\0", 4) == 0) {
          drop(m, DropReason::IkeOnNattPort);
          continue;
        }
        is_esp = true;
        esp_at += kUdpHeaderLen;
      }
    }
    if (is_esp) {
      if (m->data_len < esp_at + kEspHeaderLen) {
        drop(m, DropReason::EspMalformed);
        continue;
      }
      std::memcpy(&spi[ne], rte_pktmbuf_mtod_offset(m, const uint8_t*, esp_at), 4);
      esp_info[ne] = info;
      esp_info[ne].proto = esp_at != info.l3_len;  // reused: 1 = arrived UDP-encapsulated
      esp[ne++] = m;
    } else {
      pkts[i] = m;
      clear_v6[i] = info.v6;
      clear.add(m, info.v6, i);
    }
  }
  // Clear-text arrivals: only bypass policies let them through.
  if (clear.size()) {
    uint32_t verdict[kBurst];
    clear.classify(gw_.spd(), SaDirection::Inbound, verdict, flow_cache_, counters_.spd_cache_hits,
                   counters_.spd_cache_misses);
    for (uint16_t i = 0; i < n; ++i) {
      if (!pkts[i]) continue;
      const uint32_t v = verdict[i];
      if (v == SpVerdict::kBypass)
        send(pkts[i], clear_v6[i], counters_.bypass);
      else
        drop(pkts[i], SpVerdict::protect(v)      ? DropReason::PlaintextOnProtected
                      : v == SpVerdict::kDiscard ? DropReason::PolicyDiscard
                                                 : DropReason::NoPolicy);
    }
  }
  if (!ne) return;
  int32_t sa_idx[kBurst];
  // Bursts mostly carry one SA: a one-entry cache spares the hash for repeats (SAs are fixed
  // while running).
  uint32_t miss_spi[kBurst];
  uint16_t miss_at[kBurst], nm = 0;
  for (uint16_t i = 0; i < ne; ++i) {
    if (last_sa_ >= 0 && spi[i] == last_spi_be_) {
      sa_idx[i] = last_sa_;
    } else {
      miss_spi[nm] = spi[i];
      miss_at[nm++] = i;
    }
  }
  if (nm) {
    int32_t found[kBurst];
    gw_.sas().lookup_inbound(miss_spi, nm, found);
    for (uint16_t k = 0; k < nm; ++k) sa_idx[miss_at[k]] = found[k];
    if (found[nm - 1] >= 0) {
      last_spi_be_ = miss_spi[nm - 1];
      last_sa_ = found[nm - 1];
    }
  }
  if (nm == 0) {
    // The whole burst hit the one-entry cache: one SA, its group, no grouping pass.
    unprotect_group(gw_.sas().at(uint32_t(last_sa_)), esp, esp_info, ne);
    return;
  }
  bool done[kBurst] = {};
  for (uint16_t i = 0; i < ne; ++i) {
    if (done[i]) continue;
    if (sa_idx[i] < 0) {
      drop(esp[i], DropReason::UnknownSpi);
      continue;
    }
    rte_mbuf* gm[kBurst];
    L3Info ginfo[kBurst];
    uint16_t k = 0;
    for (uint16_t j = i; j < ne; ++j)
      if (!done[j] && sa_idx[j] == sa_idx[i]) {
        gm[k] = esp[j];
        ginfo[k++] = esp_info[j];
        done[j] = true;
      }
    unprotect_group(gw_.sas().at(uint32_t(sa_idx[i])), gm, ginfo, k);
  }
}

// One SA's ESP packets, in arrival order, under its replay lock: each must have come the way the
// SA says (NAT-T or not, outer family); then its job, then crypto for the group.
void GatewayWorker::unprotect_group(Sa& sa, rte_mbuf** m, const L3Info* info, uint16_t n) {
  EspJob jobs[kBurst];
  uint16_t nj = 0;
  {
    OptionalLock lk(sa.replay_lock, gw_.shared_state());
    for (uint16_t t = 0; t < n; ++t) {
      const bool natt = info[t].proto;  // set by inbound(): arrived UDP-encapsulated
      const bool outer_ok = sa.mode == SaMode::Transport || info[t].v6 == sa.outer_v6;
      if (natt != sa.natt || !outer_ok) [[unlikely]] {
        drop_sa(m[t], DropReason::SaMismatch, sa.index);
        continue;
      }
      const DropReason r = esp_inbound_prepare(sa, m[t], info[t].v6, info[t].l3_len, jobs[nj]);
      if (r != kPass) [[unlikely]]
        drop_sa(m[t], r, sa.index);
      else
        ++nj;
    }
  }
  if (nj) submit(sa, jobs, nj);
}

// ---- crypto ------------------------------------------------------------------------------------

void GatewayWorker::submit(Sa& sa, EspJob* jobs, uint16_t n) {
  CryptoResult res[kBurst];
  if (!sa.session) {  // NULL encryption without integrity: nothing to compute
    for (uint16_t i = 0; i < n; ++i) res[i] = CryptoResult::Ok;
    complete(jobs, res, n);
  } else if (sa.type == CryptoType::CpuCrypto) {
    esp_cpu_crypto(dev_id_, sa, jobs, n, res);
    if (jobs[0].c.flags & kEspJobOutbound)
      complete_outbound(sa, jobs, res, n);
    else
      complete_inbound(sa, jobs, res, n);
  } else {
    enqueue_ops(sa, jobs, n);
  }
}

void GatewayWorker::enqueue_ops(Sa& sa, EspJob* jobs, uint16_t n) {
  rte_crypto_op* ops[kBurst];
  if (rte_crypto_op_bulk_alloc(gw_.crypto().op_pool(), RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, n) == 0) {
    for (uint16_t i = 0; i < n; ++i) drop_sa(jobs[i].m, DropReason::CryptoQueueFull, sa.index);
    return;
  }
  for (uint16_t i = 0; i < n; ++i) esp_fill_op(sa, jobs[i], ops[i]);
  uint16_t sent = rte_cryptodev_enqueue_burst(dev_id_, qp_, ops, n);
  in_flight_ += sent;
  for (uint16_t i = sent; i < n; ++i) drop_sa(jobs[i].m, DropReason::CryptoQueueFull, sa.index);
  if (sent < n)
    rte_mempool_put_bulk(gw_.crypto().op_pool(), reinterpret_cast<void**>(ops + sent), n - sent);
}

void GatewayWorker::poll_crypto() {
  // Everything that is done, not one burst: a pass over the rx queues enqueues up to a burst per
  // queue (two with a `fragment` SA), so taking back one burst per pass let the queue pair fill
  // under load in both directions, and a third of the packets were dropped as crypto_queue_full
  // by a device that had finished them.
  while (in_flight_ > 0) {
    rte_crypto_op* ops[kBurst];
    uint16_t n = rte_cryptodev_dequeue_burst(dev_id_, qp_, ops, kBurst);
    if (n == 0) return;
    in_flight_ -= n;
    EspJob jobs[kBurst];
    CryptoResult res[kBurst];
    for (uint16_t i = 0; i < n; ++i) res[i] = esp_job_from_op(ops[i], jobs[i]);
    rte_mempool_put_bulk(gw_.crypto().op_pool(), reinterpret_cast<void**>(ops), n);
    complete(jobs, res, n);
    if (n < kBurst) return;
  }
}

// ---- after crypto ------------------------------------------------------------------------------

// Decrypted packets between ESP and the inner-policy check: those that carried IPComp wait for
// decompression, the rest for one policy batch.
struct GatewayWorker::InboundPending {
  SpBatch<kBurst> inner;
  bool checked[kBurst] = {};  // in `inner`
  bool v6[kBurst];            // the inner packet's family
  EspJob* inflate[kBurst];
  uint16_t ni = 0;
};

void GatewayWorker::complete(EspJob* jobs, const CryptoResult* res, uint16_t n) {
  InboundPending p;
  const bool locked = gw_.shared_state();
  for (uint16_t i = 0; i < n; ++i) {
    EspJob& j = jobs[i];
    Sa& sa = gw_.sas().at(j.c.sa);
    if (res[i] != CryptoResult::Ok) {
      drop_crypto_failure(j.m, res[i], sa.index);
      continue;
    }
    if (j.c.flags & kEspJobOutbound) {
      esp_outbound_finish(sa, j);
      ++counters_.sa[sa.index].packets;
      counters_.sa[sa.index].bytes += j.c.inner_len;
      send(j.m, j.c.flags & kEspJobV6, counters_.outbound);
      continue;
    }
    OptionalLock lk(sa.replay_lock, locked);
    strip_esp(sa, j, i, p);
  }
  check_inner(p, jobs, n, nullptr);
}

// One SA's inbound group, as CPU crypto returns it: the SA's lock and counters once per group.
void GatewayWorker::complete_inbound(Sa& sa, EspJob* jobs, const CryptoResult* res, uint16_t n) {
  InboundPending p;
  {
    OptionalLock lk(sa.replay_lock, gw_.shared_state());
    for (uint16_t i = 0; i < n; ++i) {
      if (res[i] != CryptoResult::Ok) [[unlikely]] {
        drop_crypto_failure(jobs[i].m, res[i], sa.index);
        continue;
      }
      strip_esp(sa, jobs[i], i, p);
    }
  }
  check_inner(p, jobs, n, &sa);
}

// After a verified ICV (the caller holds the SA's replay lock): the window moves, ESP comes off,
// and the packet joins the IPComp or the policy batch, or is dropped.
void GatewayWorker::strip_esp(Sa& sa, EspJob& j, uint16_t i, InboundPending& p) {
  const DropReason r = esp_inbound_finish(sa, j, &p.v6[i]);
  if (r != kPass) [[unlikely]] {
    drop_sa(j.m, r, sa.index);
    return;
  }
  if (j.c.flags & kEspJobIpcomp) {
    p.inflate[p.ni++] = &j;
    return;  // joins the policy batch once decompressed
  }
  if (sa.ipcomp) ++counters_.sa[sa.index].ipcomp.arrived_plain;
  p.checked[i] = true;
  p.inner.add(j.m, p.v6[i], i);
}

// Decompresses what carried IPComp, then checks every inner packet against the policy of the SA it
// arrived on and sends it. one_sa: every job is that SA's (its counters are added once).
void GatewayWorker::check_inner(InboundPending& p, EspJob* jobs, uint16_t n, const Sa* one_sa) {
  if (p.ni) {
    DropReason verdict[kBurst];
    ipcomp_->decompress(p.inflate, p.ni, verdict, counters_.sa);
    for (uint16_t k = 0; k < p.ni; ++k) {
      EspJob& j = *p.inflate[k];
      if (verdict[k] != kPass) {
        drop_sa(j.m, verdict[k], j.c.sa);
        continue;
      }
      const uint16_t i = uint16_t(&j - jobs);
      p.checked[i] = true;
      p.inner.add(j.m, p.v6[i], i);
    }
  }
  if (!p.inner.size()) return;
  // RFC 4301 §5.2: a decrypted packet must match the selectors of the SA it arrived on.
  uint32_t verdict[kBurst];
  p.inner.classify(gw_.spd(), SaDirection::Inbound, verdict, flow_cache_, counters_.spd_cache_hits,
                   counters_.spd_cache_misses);
  uint64_t packets = 0, bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (!p.checked[i]) continue;
    EspJob& j = jobs[i];
    if (SpVerdict::protect(verdict[i]) && SpVerdict::sa_index(verdict[i]) == j.c.sa) [[likely]] {
      if (one_sa) {
        ++packets;
        bytes += j.m->data_len;
      } else {
        ++counters_.sa[j.c.sa].packets;
        counters_.sa[j.c.sa].bytes += j.m->data_len;
      }
      send(j.m, p.v6[i], counters_.inbound);
    } else {
      drop_sa(j.m, DropReason::PolicyMismatch, j.c.sa);
    }
  }
  if (one_sa) {
    SaCounters& c = counters_.sa[one_sa->index];
    c.packets += packets;
    c.bytes += bytes;
  }
}

// One SA's outbound group, as CPU crypto returns it: the SA's counters once per group.
void GatewayWorker::complete_outbound(Sa& sa, EspJob* jobs, const CryptoResult* res, uint16_t n) {
  uint64_t packets = 0, bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    EspJob& j = jobs[i];
    if (res[i] != CryptoResult::Ok) [[unlikely]] {
      drop_crypto_failure(j.m, res[i], sa.index);
      continue;
    }
    esp_outbound_finish(sa, j);
    ++packets;
    bytes += j.c.inner_len;
    send(j.m, j.c.flags & kEspJobV6, counters_.outbound);
  }
  SaCounters& c = counters_.sa[sa.index];
  c.packets += packets;
  c.bytes += bytes;
}

// ---- route and transmit ------------------------------------------------------------------------

void GatewayWorker::send(rte_mbuf* m, bool v6, uint64_t& path_counter) {
  int port;
  if (v6) {
    port = gw_.routes().lookup6(rte_pktmbuf_mtod(m, const rte_ipv6_hdr*)->dst_addr);
  } else {
    // Tunnelled packets of one SA share their outer destination: remember the last lookup.
    const uint32_t dst = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*)->dst_addr;
    if (dst != last_dst4_ || last_port4_ < 0) {
      last_dst4_ = dst;
      last_port4_ = gw_.routes().lookup4(dst);
    }
    port = last_port4_;
  }
  if (port < 0 || !tx_port_[port].enabled) [[unlikely]] {
    drop(m, DropReason::NoRoute);
    return;
  }
  const TxPort& tp = tx_port_[port];
  if (m->pkt_len > tp.mtu) [[unlikely]] {
    drop(m, DropReason::MtuExceeded);
    return;
  }
  if (!tp.has_neighbour) [[unlikely]] {
    drop(m, DropReason::NoNeighbour);
    return;
  }
  auto* eth = rte_pktmbuf_prepend(m, sizeof(rte_ether_hdr));
  if (!eth) [[unlikely]] {
    drop(m, DropReason::NoRoom);
    return;
  }
  std::memcpy(eth, tp.l2[v6].data(), sizeof(rte_ether_hdr));
  // Offload flags from rx (e.g. checksum status) mean nothing for the packet we built.
  m->ol_flags = 0;
  ++path_counter;
  TxBuffer& b = tx_[port];
  if (b.n == 0) tx_dirty_.push_back(uint16_t(port));
  b.pkts[b.n++] = m;
  if (b.n == kBurst) transmit(uint16_t(port));
}

void GatewayWorker::transmit(uint16_t port) {
  TxBuffer& b = tx_[port];
  const uint16_t sent = rte_eth_tx_burst(port, txq_, b.pkts.data(), b.n);
  counters_.tx[port] += sent;
  for (uint16_t i = sent; i < b.n; ++i) drop(b.pkts[i], DropReason::TxQueueFull);
  b.n = 0;
}

void GatewayWorker::flush_tx() {
  for (uint16_t port : tx_dirty_)
    if (tx_[port].n) transmit(port);
  tx_dirty_.clear();
}

void GatewayWorker::drain() {
  // A device may take a while to give back what it holds; wait up to a second.
  const uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz();
  while (in_flight_ > 0 && rte_get_timer_cycles() < deadline) {
    poll_crypto();
    flush_tx();
  }
  flush_tx();
  // What the device still holds is lost to us (its mbufs belong to the device until it returns
  // them): counted, so rx = tx + dropped still adds up.
  counters_.drops[unsigned(DropReason::Shutdown)] += in_flight_;
}

}  // namespace dpaccel
