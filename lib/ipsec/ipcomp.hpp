// IPComp (RFC 3173) with DEFLATE (RFC 2394) under ESP, on a compressdev queue pair owned by one
// worker lcore. Outbound it compresses before ESP and decides per packet whether compression
// pays; inbound it inflates what ESP decrypted, bounded by one mbuf.
//
// Ops go to the device a burst at a time and the worker waits for them: this is meant for CPU
// compressdevs (compress_dpaccel_cpu, compress_isal, compress_zlib), which do the work inside
// enqueue. The skip state is per worker and SA, so workers never share a cache line for it.
#pragma once

#include <rte_mbuf.h>

#include <vector>

#include "compress/compress_device.hpp"
#include "ipsec/esp.hpp"
#include "ipsec/sa.hpp"
#include "stats/fwd_counters.hpp"

namespace dpaccel {

// The most packets compress() / decompress() take per call.
inline constexpr uint16_t kIpcompMaxBurst = 64;

// The private xforms one worker uses: inflate for every inbound SA, deflate per outbound SA with
// IPComp (null for the others), indexed by SA.
struct IpcompXforms {
  void* inflate = nullptr;
  std::vector<void*> deflate;
};

class IpcompWorker {
 public:
  IpcompWorker(CompressDevice& dev, uint16_t qp, const IpcompXforms& x, size_t nb_sa);

  // m[i] holds in[i].keep IP header bytes and the payload ESP will protect. Where compression
  // pays, m[i] is replaced by a new mbuf [header][IPComp][DEFLATE] and in[i].next becomes 108;
  // otherwise it stays as it was (RFC 3173 §2.2). Never drops: what cannot be compressed goes
  // uncompressed and is counted.
  void compress(const Sa& sa, rte_mbuf** m, EspInner* in, uint16_t n, IpcompCounters& c);

  // jobs[i] came from esp_inbound_finish with kEspJobIpcomp: its l3_len is the IP header in front
  // of the compressed payload (transport) or 0 (tunnel). On success jobs[i]->m is the
  // inner packet (the compressed mbuf freed) and verdict[i] is kPass; else verdict[i] says why
  // it must be dropped (the caller frees jobs[i]->m).
  void decompress(EspJob** jobs, uint16_t n, DropReason* verdict,
                  std::vector<SaCounters>& counters);

 private:
  struct SkipState {
    uint32_t fails = 0;      // consecutive packets that did not shrink
    uint32_t skip_left = 0;  // packets still to send without trying
  };
  static void note_not_smaller(const IpcompConfig& cfg, SkipState& st);
  void compress_some(const Sa& sa, rte_mbuf** m, EspInner* in, const uint16_t* idx, uint16_t n,
                     IpcompCounters& c);
  // Hands ops to the device and waits for those it accepted; returns how many it accepted.
  uint16_t run(rte_comp_op** ops, uint16_t n);

  uint8_t dev_id_;
  uint16_t qp_;
  rte_mempool* op_pool_;
  std::string dev_name_;
  const IpcompXforms& x_;
  std::vector<SkipState> skip_;
};

}  // namespace dpaccel
