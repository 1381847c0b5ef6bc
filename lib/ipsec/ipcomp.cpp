#include "ipsec/ipcomp.hpp"

#include <rte_cycles.h>

#include <algorithm>
#include <cstring>

#include "common/log.hpp"
#include "ipsec/ipcomp_probe.hpp"
#include "packet/ip_packet.hpp"

namespace dpaccel {

namespace {

constexpr uint16_t kMaxBurst = kIpcompMaxBurst;

// A payload must leave room for the IPComp header and one byte of DEFLATE to shrink at all.
constexpr uint32_t kMinCompressible = kIpcompHeaderLen + 2;

}  // namespace

IpcompWorker::IpcompWorker(CompressDevice& dev, uint16_t qp, const IpcompXforms& x, size_t nb_sa)
    : dev_id_(dev.id()),
      qp_(qp),
      op_pool_(dev.op_pool()),
      dev_name_(dev.name()),
      x_(x),
      skip_(nb_sa) {}

uint16_t IpcompWorker::run(rte_comp_op** ops, uint16_t n) {
  const uint16_t sent = rte_compressdev_enqueue_burst(dev_id_, qp_, ops, n);
  rte_comp_op* done[kMaxBurst];
  uint16_t got = 0;
  const uint64_t hz = rte_get_timer_hz();
  uint64_t warn_at = rte_get_timer_cycles() + hz;
  while (got < sent) {
    got += rte_compressdev_dequeue_burst(dev_id_, qp_, done, uint16_t(sent - got));
    // Results are read from the ops themselves; only the count matters here. A device that
    // holds ops this long is broken: say so rather than hang silently.
    if (got < sent && rte_get_timer_cycles() > warn_at) {
      DPACCEL_LOG(ERR, ipsec, "compress device %s has held %u IPComp ops for over a second",
                  dev_name_.c_str(), unsigned(sent - got));
      warn_at += hz;
    }
  }
  return sent;
}

void IpcompWorker::note_not_smaller(const IpcompConfig& cfg, SkipState& st) {
  if (cfg.skip_after && ++st.fails >= cfg.skip_after) {
    st.fails = 0;
    st.skip_left = cfg.skip_count;
  }
}

void IpcompWorker::compress(const Sa& sa, rte_mbuf** m, EspInner* in, uint16_t n,
                            IpcompCounters& c) {
  const IpcompConfig& cfg = sa.cfg->ipcomp;
  const uint32_t min_size = std::max<uint32_t>(cfg.min_size, kMinCompressible);
  SkipState& st = skip_[sa.index];
  uint16_t idx[kMaxBurst], k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    // A transport packet whose protocol is already IPComp (the host compressed it) goes as it
    // is: compressing an IPComp payload again gains nothing, and receivers refuse nesting.
    if (in[i].next == kIpProtoComp) continue;
    if (uint32_t(in[i].ip_len - in[i].keep) < min_size) {
      ++c.too_small;
      continue;
    }
    if (st.skip_left) {
      --st.skip_left;
      ++c.skipped;
      continue;
    }
    if (ipcomp_looks_incompressible(rte_pktmbuf_mtod_offset(m[i], const uint8_t*, in[i].keep),
                                    in[i].ip_len - in[i].keep)) {
      // Counts like a failed attempt, after the attempts queued before it (order matters to
      // the skip).
      if (k) compress_some(sa, m, in, idx, k, c);
      k = 0;
      ++c.not_smaller;
      ++c.probed;
      note_not_smaller(cfg, st);
      continue;
    }
    idx[k++] = uint16_t(i);
    // The skip decision must see each result in order: compress no more than the packets that
    // could complete a run of skip_after failures before looking at the results.
    if (cfg.skip_after && k == cfg.skip_after - st.fails) {
      compress_some(sa, m, in, idx, k, c);
      k = 0;
    }
  }
  if (k) compress_some(sa, m, in, idx, k, c);
}

void IpcompWorker::compress_some(const Sa& sa, rte_mbuf** m, EspInner* in, const uint16_t* idx,
                                 uint16_t n, IpcompCounters& c) {
  const IpcompConfig& cfg = sa.cfg->ipcomp;
  SkipState& st = skip_[sa.index];
  rte_comp_op* ops[kMaxBurst];
  rte_mbuf* dst[kMaxBurst];
  uint16_t at[kMaxBurst];  // ops[k] is for packet idx[at[k]]
  if (rte_comp_op_bulk_alloc(op_pool_, ops, n) == 0) {
    c.failed += n;
    return;
  }
  uint16_t k = 0;
  for (uint16_t t = 0; t < n; ++t) {
    rte_mbuf* src = m[idx[t]];
    const EspInner& e = in[idx[t]];
    const uint32_t payload = e.ip_len - e.keep;
    // Room for strictly less than the payload with the IPComp header: a stream that does not fit
    // ends as OUT_OF_SPACE at once instead of being compressed in full and thrown away. The
    // destination comes from the packet's own pool, so what fitted there normally fits here.
    const uint32_t cap = payload - kIpcompHeaderLen - 1;
    rte_mbuf* d = rte_pktmbuf_alloc(src->pool);
    if (!d || !rte_pktmbuf_append(d, uint16_t(e.keep + kIpcompHeaderLen + cap))) {
      rte_pktmbuf_free(d);
      ++c.failed;
      continue;
    }
    rte_comp_op* op = ops[k];
    op->op_type = RTE_COMP_OP_STATELESS;
    op->private_xform = x_.deflate[sa.index];
    op->flush_flag = RTE_COMP_FLUSH_FINAL;
    op->m_src = src;
    op->src.offset = e.keep;
    op->src.length = payload;
    op->m_dst = d;
    op->dst.offset = e.keep + kIpcompHeaderLen;
    dst[k] = d;
    at[k++] = t;
  }
  const uint16_t sent = run(ops, k);
  for (uint16_t q = 0; q < k; ++q) {
    rte_comp_op* op = ops[q];
    rte_mbuf*& src = m[idx[at[q]]];
    EspInner& e = in[idx[at[q]]];
    rte_mbuf* d = dst[q];
    const bool ran = q < sent;
    if (ran && op->status == RTE_COMP_OP_STATUS_SUCCESS && op->consumed == op->src.length) {
      uint8_t* h = rte_pktmbuf_mtod(d, uint8_t*);
      std::memcpy(h, rte_pktmbuf_mtod(src, const uint8_t*), e.keep);  // transport IP header
      h[e.keep] = e.next;
      h[e.keep + 1] = 0;  // flags: reserved, zero (RFC 3173 §2.2)
      std::memcpy(h + e.keep + 2, &sa.cpi_be, 2);
      rte_pktmbuf_trim(d, uint16_t(d->data_len - (e.keep + kIpcompHeaderLen + op->produced)));
      c.bytes_in += e.ip_len - e.keep;
      c.bytes_out += kIpcompHeaderLen + op->produced;
      ++c.compressed;
      st.fails = 0;
      rte_pktmbuf_free(src);
      src = d;
      e.next = kIpProtoComp;
      continue;
    }
    rte_pktmbuf_free(d);
    if (ran && op->status == RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED) {
      ++c.not_smaller;
      note_not_smaller(cfg, st);
    } else {
      ++c.failed;
    }
  }
  rte_comp_op_bulk_free(ops, n);
}

void IpcompWorker::decompress(EspJob** jobs, uint16_t n, DropReason* verdict,
                              std::vector<SaCounters>& counters) {
  rte_comp_op* ops[kMaxBurst];
  rte_mbuf* dst[kMaxBurst];
  uint16_t at[kMaxBurst];  // ops[k] is for jobs[at[k]]
  for (uint16_t i = 0; i < n; ++i) verdict[i] = DropReason::IpcompNoResources;
  if (n == 0 || rte_comp_op_bulk_alloc(op_pool_, ops, n) == 0) return;
  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const EspJob& j = *jobs[i];
    const uint32_t l3 = j.c.l3_len;  // the IP header in front of the payload (transport), or 0
    rte_mbuf* d = rte_pktmbuf_alloc(j.m->pool);
    if (!d) continue;  // stays IpcompNoResources
    // The bound: one mbuf (the forwarder does not chain), and no more than an IP length field
    // can say. A stream that inflates further is a bomb or garbage.
    const uint32_t room = std::min<uint32_t>(rte_pktmbuf_tailroom(d), UINT16_MAX);
    rte_pktmbuf_append(d, uint16_t(room));
    rte_comp_op* op = ops[k];
    op->op_type = RTE_COMP_OP_STATELESS;
    op->private_xform = x_.inflate;
    op->flush_flag = RTE_COMP_FLUSH_FINAL;
    op->m_src = j.m;
    op->src.offset = l3;
    op->src.length = j.m->data_len - l3;
    op->m_dst = d;
    op->dst.offset = l3;
    dst[k] = d;
    at[k++] = i;
  }
  const uint16_t sent = run(ops, k);
  for (uint16_t q = 0; q < k; ++q) {
    const uint16_t i = at[q];
    EspJob& j = *jobs[i];
    rte_comp_op* op = ops[q];
    rte_mbuf* d = dst[q];
    if (q >= sent) {
      rte_pktmbuf_free(d);
      continue;
    }
    // A stream that ends before its input does (or stops without a final block, which some
    // devices report as success with input left) is as corrupt as one that fails to decode.
    if (op->status == RTE_COMP_OP_STATUS_SUCCESS && op->consumed != op->src.length) {
      verdict[i] = DropReason::IpcompCorrupt;
      rte_pktmbuf_free(d);
      continue;
    }
    if (op->status != RTE_COMP_OP_STATUS_SUCCESS) {
      verdict[i] = op->status == RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED
                       ? DropReason::IpcompTooBig
                       : DropReason::IpcompCorrupt;
      rte_pktmbuf_free(d);
      continue;
    }
    // The op says where the IP header ends: its source offset (0 in tunnel mode).
    const uint32_t l3 = op->src.offset;
    const bool transport = l3 != 0;
    uint8_t* h = rte_pktmbuf_mtod(d, uint8_t*);
    const uint32_t out = op->produced;
    if (transport) {
      if (l3 + out > UINT16_MAX) {
        verdict[i] = DropReason::IpcompTooBig;
        rte_pktmbuf_free(d);
        continue;
      }
      std::memcpy(h, rte_pktmbuf_mtod(j.m, const uint8_t*), l3);
      restore_transport_header(h, j.c.flags & kEspJobV6, j.c.ipcomp_next, l3, out,
                               j.c.flags & kEspJobNattTransport);
      rte_pktmbuf_trim(d, uint16_t(d->data_len - (l3 + out)));
    } else {
      uint32_t ip_len;
      const bool v6 = j.c.ipcomp_next == kIpProtoIpv6;
      DropReason r = check_inner_ip(h, out, v6, &ip_len);
      if (r == DropReason::Count && (j.c.outer_ecn & 1)) r = decapsulate_ecn(h, v6, j.c.outer_ecn);
      if (r != DropReason::Count) {
        verdict[i] = r;
        rte_pktmbuf_free(d);
        continue;
      }
      rte_pktmbuf_trim(d, uint16_t(d->data_len - ip_len));
    }
    IpcompCounters& c = counters[j.c.sa].ipcomp;
    ++c.decompressed;
    c.inflated_in += kIpcompHeaderLen + j.m->data_len - l3;
    c.inflated_out += out;
    rte_pktmbuf_free(j.m);
    j.m = d;
    verdict[i] = DropReason::Count;
  }
  rte_comp_op_bulk_free(ops, n);
}

}  // namespace dpaccel
