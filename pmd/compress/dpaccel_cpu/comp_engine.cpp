// compress_dpaccel_cpu: DEFLATE on ISA-L and our small-op encoder, one operation at a time.
//
// Small contiguous inputs (up to the level's SmallDeflate::Effort::max_input) take our own
// encoder (small_deflate.hpp), which skips the fixed cost ISA-L pays per op. Other
// contiguous source and destination (one segment each) take ISA-L's stateless calls directly,
// with the stream re-initialised by isal_deflate_stateless_init()/isal_inflate_reset(), which
// touch only the fields a stateless call reads — the fixed per-op cost compress_isal pays in full
// initialisation is most of its time on small packets. Segmented mbufs go through ISA-L's
// streaming calls, fed segment by segment (no copy).
#include <isa-l/crc.h>
#include <rte_cpuflags.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <new>

#include <algorithm>
#include <cerrno>
#include <tuple>

#include "comp_device.hpp"
#include "small_inflate.hpp"

namespace dpaccel::comp {

void Checksum::update(const uint8_t* p, uint32_t n) {
  if (n == 0) return;
  if (type == RTE_COMP_CHECKSUM_CRC32 || type == RTE_COMP_CHECKSUM_CRC32_ADLER32)
    crc = crc32_gzip_refl(crc, p, n);
  if (type == RTE_COMP_CHECKSUM_ADLER32 || type == RTE_COMP_CHECKSUM_CRC32_ADLER32)
    adler = isal_adler32(adler, p, n);
}

uint64_t Checksum::value() const {
  switch (type) {
    case RTE_COMP_CHECKSUM_CRC32: return crc;
    case RTE_COMP_CHECKSUM_ADLER32: return adler;
    case RTE_COMP_CHECKSUM_CRC32_ADLER32: return uint64_t{adler} << 32 | crc;  // rte_comp.h
    default: return 0;
  }
}

namespace {

// Walks an mbuf chain's data from an offset, for at most `len` bytes.
struct SegCursor {
  rte_mbuf* m;
  uint32_t off;   // within m
  uint32_t left;  // bytes of the region not handed out yet
  SegCursor(rte_mbuf* mb, uint32_t offset, uint32_t len) : m(mb), off(offset), left(len) {
    while (m && off >= m->data_len) {
      off -= m->data_len;
      m = m->next;
    }
  }
  // Next piece, or {nullptr, 0} at the end.
  std::pair<uint8_t*, uint32_t> next() {
    while (m && left) {
      uint32_t n = std::min<uint32_t>(m->data_len - off, left);
      uint8_t* p = rte_pktmbuf_mtod_offset(m, uint8_t*, off);
      m = m->next;
      off = 0;
      if (n == 0) continue;
      left -= n;
      return {p, n};
    }
    return {nullptr, 0};
  }
};

void checksum_region(Checksum& ck, rte_mbuf* m, uint32_t off, uint32_t len) {
  if (ck.type == RTE_COMP_CHECKSUM_NONE) return;
  SegCursor c(m, off, len);
  for (auto [p, n] = c.next(); p; std::tie(p, n) = c.next()) ck.update(p, n);
}

// ISA-L's streaming deflate over the op's source and destination segments. `end` marks the
// stream's last input (end_of_stream); `flush` is NO_FLUSH, SYNC_FLUSH or FULL_FLUSH.
// Returns 0 when all input was consumed (and flushed/ended as asked), 1 when the destination
// ran out first, -1 on a library error; consumed/produced count this call's bytes.
int stream_deflate(isal_zstream& s, rte_comp_op* op, uint32_t room, int flush, bool end,
                   uint32_t& consumed, uint32_t& produced) {
  const uint32_t in0 = s.total_in, out0 = s.total_out;
  SegCursor src(op->m_src, op->src.offset, op->src.length);
  SegCursor dst(op->m_dst, op->dst.offset, room);
  // The next source segment. ISA-L flushes whenever a call's input runs out with a flush asked
  // for: the op's flush (and end of stream) go with its last segment only, or an op over k
  // segments would end k blocks (and a FULL flush would forget the history k times).
  auto feed = [&] {
    auto [p, n] = src.next();
    s.next_in = p;
    s.avail_in = n;
    s.flush = src.left ? NO_FLUSH : flush;
    s.end_of_stream = end && src.left == 0;
  };
  auto [out, out_n] = dst.next();
  s.next_out = out;
  s.avail_out = out_n;
  feed();
  int r = 0;
  // Each pass consumes input, fills output or finishes; the guard only stops a library surprise.
  const uint64_t max_passes = 4 * (uint64_t(op->src.length) + room) + 64;
  for (uint64_t guard = 0;; ++guard) {
    if (guard > max_passes || isal_deflate(&s) != COMP_OK) {
      r = -1;
      break;
    }
    if (end && s.internal_state.state == ZSTATE_END) break;
    if (s.avail_in == 0 && src.left) {
      feed();
    } else if (s.avail_out == 0) {
      auto [p, n] = dst.next();
      if (!p) {
        r = 1;
        break;
      }
      s.next_out = p;
      s.avail_out = n;
    } else if (!end && s.avail_in == 0) {
      break;  // all input taken, and room was left: any flush asked for is complete
    }
  }
  consumed = s.total_in - in0;
  produced = s.total_out - out0;
  return r;
}

// ISA-L's streaming inflate over the op's segments. Returns ISAL_DECOMP_OK when all input was
// used or the stream ended (`finished`), ISAL_OUT_OVERFLOW when the destination ran out, or a
// negative ISA-L error.
int stream_inflate(inflate_state& st, rte_comp_op* op, uint32_t room, Checksum& ck,
                   uint32_t& consumed, uint32_t& produced, bool& finished) {
  const uint32_t out0 = st.total_out;
  SegCursor src(op->m_src, op->src.offset, op->src.length);
  SegCursor dst(op->m_dst, op->dst.offset, room);
  auto [in, in_n] = src.next();
  auto [out, out_n] = dst.next();
  st.next_in = in;
  st.avail_in = in_n;
  st.next_out = out;
  st.avail_out = out_n;
  uint8_t* out_seg = out;
  uint32_t fed = in_n;
  int rc = ISAL_DECOMP_OK;
  finished = false;
  // Streaming inflate returns when its input or output segment runs out (0, END_INPUT or
  // OUT_OVERFLOW): feed the next one, or stop.
  const uint64_t max_passes = 4 * (uint64_t(op->src.length) + room) + 64;
  for (uint64_t guard = 0;; ++guard) {
    rc = isal_inflate(&st);
    ck.update(out_seg, uint32_t(st.next_out - out_seg));
    out_seg = st.next_out;
    if (rc < 0) break;  // invalid block, symbol or distance
    rc = ISAL_DECOMP_OK;
    if (st.block_state == ISAL_BLOCK_FINISH) {
      finished = true;
      break;
    }
    if (st.avail_out == 0) {
      auto [p, n] = dst.next();
      if (!p) {
        rc = ISAL_OUT_OVERFLOW;
        break;
      }
      st.next_out = out_seg = p;
      st.avail_out = n;
    } else if (st.avail_in == 0) {
      auto [p, n] = src.next();
      if (!p) break;  // all input used; a stream may go on in the next op
      st.next_in = p;
      st.avail_in = n;
      fed += n;
    } else if (guard > max_passes) {
      rc = ISAL_INVALID_STATE;
      break;
    }
  }
  consumed = fed - st.avail_in;
  // Once the final block is decoded, whole bytes ISA-L read ahead into its bit buffer are not the
  // stream's (the stateless call gives them back too). Only this op's own bytes can be given
  // back: in a stream, ISA-L may have read them in an earlier op.
  if ((finished || st.block_state == ISAL_BLOCK_INPUT_DONE) && st.read_in_length > 0)
    consumed -= std::min(consumed, uint32_t(st.read_in_length) / 8);
  produced = st.total_out - out0;
  return rc;
}

// An op that did not complete reports nothing consumed or produced, whatever ISA-L got to.
void fail(rte_comp_op* op, int status) {
  op->status = uint8_t(status);
  op->consumed = op->produced = 0;
}

// A stateless op that completed.
void succeed(rte_comp_op* op, uint32_t consumed, uint32_t produced, uint64_t checksum) {
  op->consumed = consumed;
  op->produced = produced;
  op->output_chksum = checksum;
  op->status = RTE_COMP_OP_STATUS_SUCCESS;
}

uint32_t dst_room(const rte_comp_op* op) {
  const uint32_t total = rte_pktmbuf_pkt_len(op->m_dst);
  return op->dst.offset >= total ? 0 : total - op->dst.offset;
}

bool single_segment(const rte_mbuf* m, uint32_t off, uint32_t len) {
  return off + len <= m->data_len;
}

void set_level(QueuePair& qp, const PrivXform& x) {
  isal_zstream& s = qp.stream;
  s.level = x.isal_level;
  s.level_buf = x.isal_level ? qp.level_buf : nullptr;
  s.level_buf_size = x.isal_level ? x.level_buf_size : 0;
  s.hist_bits = x.hist_bits == 15
                    ? 0
                    : x.hist_bits;  // 0: ISA-L's default (32 KiB), as compress_isal leaves it
  s.gzip_flag = IGZIP_DEFLATE;      // raw DEFLATE (RFC 1951): the compressdev API's algorithm
  if (x.fixed_huffman) isal_deflate_set_hufftables(&s, nullptr, IGZIP_HUFFTABLE_STATIC);
}

void compress(QueuePair& qp, const PrivXform& x, rte_comp_op* op) {
  isal_zstream& s = qp.stream;
  const uint32_t room = dst_room(op);
  Checksum ck{x.checksum};
  const bool contiguous = single_segment(op->m_src, op->src.offset, op->src.length) &&
                          single_segment(op->m_dst, op->dst.offset, room);
  if (contiguous && x.small.max_input != 0 && op->src.length <= x.small.max_input) {
    const uint8_t* in = rte_pktmbuf_mtod_offset(op->m_src, const uint8_t*, op->src.offset);
    const int32_t produced = qp.small.compress(
        in, op->src.length, rte_pktmbuf_mtod_offset(op->m_dst, uint8_t*, op->dst.offset), room,
        x.hist_bits, x.small);
    if (produced < 0) {
      fail(op, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
      return;
    }
    ck.update(in, op->src.length);
    succeed(op, op->src.length, uint32_t(produced), ck.value());
    return;
  }
  if (contiguous) {
    uint8_t* in = rte_pktmbuf_mtod_offset(op->m_src, uint8_t*, op->src.offset);
    isal_deflate_stateless_init(&s);
    set_level(qp, x);
    s.end_of_stream = 1;
    s.flush = NO_FLUSH;
    s.next_in = in;
    s.avail_in = op->src.length;
    s.next_out = rte_pktmbuf_mtod_offset(op->m_dst, uint8_t*, op->dst.offset);
    s.avail_out = room;
    int rc = isal_deflate_stateless(&s);
    if (rc == STATELESS_OVERFLOW) {
      fail(op, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
      return;
    }
    if (rc != COMP_OK) {
      COMP_LOG(DEBUG, "isal_deflate_stateless: %d", rc);
      fail(op, RTE_COMP_OP_STATUS_ERROR);
      return;
    }
    ck.update(in, op->src.length);
  } else {
    // Segmented: ISA-L's streaming deflate over the segments, as one whole stream.
    isal_deflate_init(&s);
    set_level(qp, x);
    uint32_t consumed, produced;
    const int r = stream_deflate(s, op, room, NO_FLUSH, true, consumed, produced);
    if (r != 0) {
      fail(op, r > 0 ? RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED : RTE_COMP_OP_STATUS_ERROR);
      return;
    }
    checksum_region(ck, op->m_src, op->src.offset, op->src.length);
  }
  succeed(op, op->src.length, s.total_out, ck.value());
}

void decompress(QueuePair& qp, const PrivXform& x, rte_comp_op* op) {
  inflate_state& st = qp.inflate;
  const uint32_t room = dst_room(op);
  Checksum ck{x.checksum};
  const bool contiguous = single_segment(op->m_src, op->src.offset, op->src.length) &&
                          single_segment(op->m_dst, op->dst.offset, room);
  uint8_t* const in = rte_pktmbuf_mtod_offset(op->m_src, uint8_t*, op->src.offset);
  uint8_t* const out = rte_pktmbuf_mtod_offset(op->m_dst, uint8_t*, op->dst.offset);
  // Small inputs of stored and fixed-code blocks: our decoder, without ISA-L's per-block table
  // copy; anything else it gives back having decided nothing, to ISA-L (small_inflate.hpp).
  if (contiguous && op->src.length <= kSmallInflateMax) {
    const SmallInflateResult r = small_inflate(in, op->src.length, out, room);
    if (r.done) {
      ck.update(out, r.produced);
      succeed(op, r.consumed, r.produced, ck.value());
      return;
    }
  }
  isal_inflate_reset(&st);
  st.crc_flag = ISAL_DEFLATE;
  st.hist_bits = x.hist_bits;
  int rc;
  uint32_t consumed = 0;
  if (contiguous) {
    st.next_in = in;
    st.avail_in = op->src.length;
    st.next_out = out;
    st.avail_out = room;
    rc = isal_inflate_stateless(&st);
    if (rc == ISAL_DECOMP_OK) ck.update(out, st.total_out);
    consumed = op->src.length - st.avail_in;
  } else {
    bool finished = false;
    uint32_t produced;
    rc = stream_inflate(st, op, room, ck, consumed, produced, finished);
    if (rc == ISAL_DECOMP_OK && !finished) rc = ISAL_END_INPUT;  // stops before its final block
  }
  if (rc == ISAL_OUT_OVERFLOW) {
    fail(op, RTE_COMP_OP_STATUS_OUT_OF_SPACE_TERMINATED);
    return;
  }
  if (rc != ISAL_DECOMP_OK) {
    // Truncated (ISAL_END_INPUT) or corrupt (invalid block, symbol, distance): never a partial
    // result presented as success.
    COMP_LOG(DEBUG, "inflate: %d", rc);
    fail(op, RTE_COMP_OP_STATUS_ERROR);
    return;
  }
  succeed(op, consumed, st.total_out, ck.value());
}

// Stateful: the stream keeps ISA-L's state and the running checksum between ops. An op that
// runs out of room ends OUT_OF_SPACE_RECOVERABLE with what it consumed and produced; the caller
// continues from consumed with more room (rte_comp.h).
void stateful(Stream& st, rte_comp_op* op) {
  const uint32_t room = dst_room(op);
  uint32_t consumed = 0, produced = 0;
  if (st.x.type == RTE_COMP_COMPRESS) {
    if (st.ended) {  // a FINAL op closed it; rte_compressdev_stream_free() or a new stream
      fail(op, RTE_COMP_OP_STATUS_INVALID_STATE);
      return;
    }
    const bool end = op->flush_flag == RTE_COMP_FLUSH_FINAL;
    const int flush = op->flush_flag == RTE_COMP_FLUSH_SYNC   ? SYNC_FLUSH
                      : op->flush_flag == RTE_COMP_FLUSH_FULL ? FULL_FLUSH
                                                              : NO_FLUSH;
    const int r = stream_deflate(st.zs, op, room, flush, end, consumed, produced);
    if (r < 0) {
      fail(op, RTE_COMP_OP_STATUS_ERROR);
      return;
    }
    checksum_region(st.ck, op->m_src, op->src.offset, consumed);
    op->status = r > 0 ? RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE : RTE_COMP_OP_STATUS_SUCCESS;
    if (r == 0 && end) st.ended = true;
  } else {
    if (st.ended) {
      fail(op, RTE_COMP_OP_STATUS_INVALID_STATE);
      return;
    }
    bool finished = false;
    const int rc = stream_inflate(st.inf, op, room, st.ck, consumed, produced, finished);
    if (rc < 0) {
      fail(op, RTE_COMP_OP_STATUS_ERROR);
      st.ended = true;  // a corrupt stream cannot go on
      return;
    }
    op->status = rc == ISAL_OUT_OVERFLOW ? RTE_COMP_OP_STATUS_OUT_OF_SPACE_RECOVERABLE
                                         : RTE_COMP_OP_STATUS_SUCCESS;
    if (finished) st.ended = true;
  }
  op->consumed = consumed;
  op->produced = produced;
  op->output_chksum = st.ck.value();
}

}  // namespace

Stream* stream_new(const PrivXform& x, int socket) noexcept {
  void* mem =
      rte_zmalloc_socket("comp_dpaccel_stream", sizeof(Stream), RTE_CACHE_LINE_SIZE, socket);
  if (!mem) return nullptr;
  auto* st = new (mem) Stream();
  st->x = x;
  st->ck = Checksum{x.checksum};
  if (x.type == RTE_COMP_COMPRESS) {
    if (x.level_buf_size) {
      st->level_buf = static_cast<uint8_t*>(
          rte_malloc_socket("comp_dpaccel_slvl", x.level_buf_size, 64, socket));
      if (!st->level_buf) {
        rte_free(mem);
        return nullptr;
      }
    }
    isal_deflate_init(&st->zs);
    st->zs.level = x.isal_level;
    st->zs.level_buf = st->level_buf;
    st->zs.level_buf_size = x.level_buf_size;
    st->zs.hist_bits = x.hist_bits == 15 ? 0 : x.hist_bits;
    st->zs.gzip_flag = IGZIP_DEFLATE;
    if (x.fixed_huffman) isal_deflate_set_hufftables(&st->zs, nullptr, IGZIP_HUFFTABLE_STATIC);
  } else {
    isal_inflate_init(&st->inf);
    st->inf.crc_flag = ISAL_DEFLATE;
    st->inf.hist_bits = x.hist_bits;
  }
  return st;
}

void stream_delete(Stream* st) noexcept {
  if (!st) return;
  rte_free(st->level_buf);
  st->~Stream();
  rte_free(st);
}

void process_op(QueuePair& qp, rte_comp_op* op) noexcept {
  // op->stream and op->private_xform share a union: whichever the op type names must be there.
  // Regions outside the mbufs are the caller's mistake, not a lack of room (a destination offset
  // at the very end of m_dst is: no room, out of space as usual).
  if (!op->private_xform || !op->m_src || !op->m_dst ||
      uint64_t{op->src.offset} + op->src.length > rte_pktmbuf_pkt_len(op->m_src) ||
      op->dst.offset > rte_pktmbuf_pkt_len(op->m_dst)) {
    fail(op, RTE_COMP_OP_STATUS_INVALID_ARGS);
    return;
  }
  if (op->op_type == RTE_COMP_OP_STATEFUL) {
    stateful(*static_cast<Stream*>(op->stream), op);
    return;
  }
  const auto& x = *static_cast<const PrivXform*>(op->private_xform);
  if (x.type == RTE_COMP_COMPRESS)
    compress(qp, x, op);
  else
    decompress(qp, x, op);
}

namespace {
// What both directions of an xform must say: DEFLATE, a window of 2^8..2^15, no hash.
int check_common(rte_comp_algorithm algo, uint8_t window, rte_comp_hash_algorithm hash) {
  if (algo != RTE_COMP_ALGO_DEFLATE) {
    COMP_LOG(ERR, "algorithm %d: only DEFLATE", int(algo));
    return -ENOTSUP;
  }
  if (window < 8 || window > 15) {
    COMP_LOG(ERR, "window_size %u: expected 8..15", window);
    return -EINVAL;
  }
  if (hash != RTE_COMP_HASH_ALGO_NONE) {
    COMP_LOG(ERR, "hash algorithms are not supported");
    return -ENOTSUP;
  }
  return 0;
}
}  // namespace

int make_priv_xform(const rte_comp_xform& x, PrivXform& out) noexcept {
  out = PrivXform{};
  out.type = x.type;
  if (x.type == RTE_COMP_COMPRESS) {
    const rte_comp_compress_xform& c = x.compress;
    if (int rc = check_common(c.algo, c.window_size, c.hash_algo); rc) return rc;
    if (c.level < RTE_COMP_LEVEL_PMD_DEFAULT || c.level > RTE_COMP_LEVEL_MAX) {
      COMP_LOG(ERR, "level %d: expected -1..9", c.level);
      return -EINVAL;
    }
    if (c.level == RTE_COMP_LEVEL_NONE) {
      COMP_LOG(ERR, "level 0 (stored blocks only) is not supported");
      return -ENOTSUP;
    }
    out.checksum = c.chksum;
    out.hist_bits = c.window_size;
    out.fixed_huffman = c.deflate.huffman == RTE_COMP_HUFFMAN_FIXED;
    // The documented mapping (README): the ISA-L levels compress_isal uses, so ratios and
    // outputs compare: default and 1 -> 1, 2 -> 2, 3-9 -> 3 (2 without AVX2, where ISA-L's
    // level 3 is not optimised); fixed Huffman needs ISA-L level 0.
    int lvl = c.level == RTE_COMP_LEVEL_PMD_DEFAULT ? 1 : c.level;
    // Small inputs with dynamic or default codes: our encoder, with the level's effort
    // (fixed codes stay on ISA-L level 0, which has no table building to save).
    if (!out.fixed_huffman) out.small = SmallDeflate::effort_for_level(lvl);
    if (out.fixed_huffman) {
      out.isal_level = 0;
      out.level_buf_size = 0;
    } else if (lvl <= 1) {
      out.isal_level = 1;
      out.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    } else if (lvl == 2 || !(rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) ||
                             rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F))) {
      out.isal_level = 2;
      out.level_buf_size = ISAL_DEF_LVL2_DEFAULT;
    } else {
      out.isal_level = 3;
      out.level_buf_size = ISAL_DEF_LVL3_DEFAULT;
    }
  } else if (x.type == RTE_COMP_DECOMPRESS) {
    const rte_comp_decompress_xform& d = x.decompress;
    if (int rc = check_common(d.algo, d.window_size, d.hash_algo); rc) return rc;
    out.checksum = d.chksum;
    out.hist_bits = d.window_size;
  } else {
    return -EINVAL;
  }
  if (out.checksum > RTE_COMP_CHECKSUM_CRC32_ADLER32) {
    COMP_LOG(ERR, "checksum type %d not supported", int(out.checksum));
    return -ENOTSUP;
  }
  return 0;
}

}  // namespace dpaccel::comp
