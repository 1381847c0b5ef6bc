// compress_dpaccel_cpu: device, queue-pair and private-xform state shared by the driver's files.
#pragma once

#include <isa-l/igzip_lib.h>
#include <rte_comp.h>
#include <rte_compressdev.h>
#include <rte_compressdev_pmd.h>
#include <rte_log.h>

#include <cstdint>

#include "completion_ring.hpp"
#include "small_deflate.hpp"

extern int dpaccel_comp_logtype;  // "pmd.compress.dpaccel_cpu"

namespace dpaccel::comp {

#define COMP_LOG(level, fmt, ...) \
  rte_log(RTE_LOG_##level, dpaccel_comp_logtype, "compress_dpaccel_cpu: " fmt "\n", ##__VA_ARGS__)

inline constexpr char kDriverName[] = "compress_dpaccel_cpu";

// What an rte_comp_xform becomes: immutable after creation, so one may serve every queue pair
// (RTE_COMP_FF_SHAREABLE_PRIV_XFORM).
struct PrivXform {
  rte_comp_xform_type type;
  rte_comp_checksum_type checksum;
  uint8_t isal_level;          // compression: ISA-L level 0..3 (see level_for())
  bool fixed_huffman;          // compression: static Huffman tables (RFC 1951 §3.2.6)
  uint16_t hist_bits;          // window, log2 bytes (8..15)
  uint32_t level_buf_size;     // compression: ISA-L level buffer the level needs
  SmallDeflate::Effort small;  // compression: our encoder's effort; inputs up to
                               // small.max_input take it (0: never, as for fixed Huffman)
};

// Queue-pair state reused by every op, so a small op pays only for its own data: our small-op
// encoder's tables, ISA-L's deflate stream and inflate state live here (ISA-L's re-initialised
// per op with the cheap stateless init); the level buffer is allocated once for the largest
// level.
struct QueuePair {
  pmd::CompletionRing<rte_comp_op*> done;
  rte_compressdev_stats stats{};
  SmallDeflate small;
  isal_zstream stream{};
  inflate_state inflate{};
  uint8_t* level_buf = nullptr;
  uint32_t level_buf_size = 0;
  uint16_t id = 0;
};

// Running checksums (RFC 1950/1952) of what a stream consumed (compression) or produced
// (decompression).
struct Checksum {
  rte_comp_checksum_type type = RTE_COMP_CHECKSUM_NONE;
  uint32_t crc = 0;
  uint32_t adler = 1;
  void update(const uint8_t* p, uint32_t n);
  uint64_t value() const;
};

// A stateful stream (rte_compressdev_stream_create): ISA-L's state between ops.
struct Stream {
  PrivXform x{};
  Checksum ck;
  isal_zstream zs{};
  inflate_state inf{};
  uint8_t* level_buf = nullptr;
  bool ended = false;  // compression: a FINAL op completed; decompression: the last block ended
};

Stream* stream_new(const PrivXform& x, int socket) noexcept;
void stream_delete(Stream* st) noexcept;

struct Device {
  uint16_t max_nb_queue_pairs = 0;
  int socket_id = 0;
};

inline Device* device_of(rte_compressdev* dev) {
  return static_cast<Device*>(dev->data->dev_private);
}

// The engine: one op, start to finish. Returns the op's status and sets consumed/produced/
// output_chksum.
void process_op(QueuePair& qp, rte_comp_op* op) noexcept;
// Validates an xform and turns it into a PrivXform; 0 or -ENOTSUP/-EINVAL (logged).
int make_priv_xform(const rte_comp_xform& x, PrivXform& out) noexcept;

uint16_t enqueue_burst(void* qp, rte_comp_op** ops, uint16_t n);
uint16_t dequeue_burst(void* qp, rte_comp_op** ops, uint16_t n);
extern rte_compressdev_ops g_dev_ops;

}  // namespace dpaccel::comp
