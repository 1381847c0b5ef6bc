// Security policy database: protect / bypass / discard by 5-tuple ranges and priority (rte_acl),
// one classifier per direction and IP family. Packets are classified in bursts on compact keys
// built from their headers (so IPv4 options and non-TCP/UDP protocols are handled exactly).
#pragma once

#include <rte_acl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.hpp"
#include "config/gateway_config.hpp"

namespace dpaccel {

class SaTable;

// rte_acl wants the first field one byte wide and the rest in 4-byte groups; addresses and ports
// are in network order, as in the packet.
struct alignas(4) SpKey4 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src, dst;
  uint16_t sport, dport;
};
struct alignas(4) SpKey6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
};

// SpBatch hands rte_acl a pointer to proto and the flow cache reads the key back from it; the
// cache hashes and compares whole keys, so they must have no padding beyond pad[].
static_assert(offsetof(SpKey4, proto) == 0 && sizeof(SpKey4) == 16);
static_assert(offsetof(SpKey6, proto) == 0 && sizeof(SpKey6) == 40);

// What a classification returns.
struct SpVerdict {
  static constexpr uint32_t kNoMatch = 0, kBypass = 1, kDiscard = 2, kProtectBase = 3;
  static bool protect(uint32_t v) { return v >= kProtectBase; }
  static uint32_t sa_index(uint32_t v) { return v - kProtectBase; }
};

class SpClassifier {
 public:
  ~SpClassifier();
  // results[i] is an SpVerdict value.
  void classify(const uint8_t** keys, uint32_t* results, uint32_t n) const;
  size_t rules() const { return nb_rules_; }

 private:
  friend class Spd;
  rte_acl_ctx* ctx_ = nullptr;
  size_t nb_rules_ = 0;
};

class Spd {
 public:
  static Result<std::unique_ptr<Spd>> create(const std::vector<SpRule>& rules, const SaTable& sas);
  const SpClassifier& get(SaDirection dir, bool v6) const {
    return cls_[(dir == SaDirection::Inbound ? 2 : 0) + (v6 ? 1 : 0)];
  }

 private:
  std::array<SpClassifier, 4> cls_;  // out4, out6, in4, in6
};

}  // namespace dpaccel
