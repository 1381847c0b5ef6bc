// One compressdev as the gateway uses it for IPComp: a queue pair per worker lcore, an op pool,
// and the private xforms it hands out (freed with the device).
#pragma once

#include <rte_comp.h>
#include <rte_compressdev.h>

#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace dpaccel {

class CompressDevice {
 public:
  struct Params {
    uint16_t nb_queue_pairs = 1;
    uint32_t qp_descriptors = 512;  // ops in flight per queue pair
    uint16_t nb_xforms = 16;
    uint32_t nb_ops = 4096;
    int socket = SOCKET_ID_ANY;
  };
  // Checks that the device does stateless DEFLATE with 32 KiB windows, configures and starts it.
  static Result<std::unique_ptr<CompressDevice>> open(uint8_t dev_id, const Params& p);
  ~CompressDevice();
  CompressDevice(const CompressDevice&) = delete;
  CompressDevice& operator=(const CompressDevice&) = delete;

  uint8_t id() const { return dev_id_; }
  const std::string& name() const { return name_; }
  uint16_t nb_queue_pairs() const { return nb_qp_; }
  rte_mempool* op_pool() const { return op_pool_; }

  // Raw DEFLATE (RFC 1951, as RFC 2394 puts it in IPComp), 32 KiB window, no checksum.
  Result<void*> deflate_xform(uint8_t level, rte_comp_huffman huffman);
  Result<void*> inflate_xform();
  // Stops the device (idempotent; the destructor too).
  void stop();

 private:
  CompressDevice() = default;
  Result<void*> make_xform(const rte_comp_xform& x, const char* what);
  uint8_t dev_id_ = 0;
  std::string name_;
  bool started_ = false;
  uint16_t nb_qp_ = 0;
  rte_mempool* op_pool_ = nullptr;
  std::vector<void*> xforms_;
};

}  // namespace dpaccel
