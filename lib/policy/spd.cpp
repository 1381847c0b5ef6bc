#include "policy/spd.hpp"

#include <rte_byteorder.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>

#include "ipsec/sa_table.hpp"

namespace dpaccel {

namespace {

constexpr uint32_t kMaxFields6 = 11;  // proto, 4 + 4 address words, 2 ports
RTE_ACL_RULE_DEF(SpAclRule, kMaxFields6);

uint8_t chunk_bits(uint8_t prefix, unsigned chunk) {
  int b = int(prefix) - int(chunk * 32);
  return uint8_t(b < 0 ? 0 : b > 32 ? 32 : b);
}

// Field layout shared by both families: proto, then address words, then the two ports.
std::vector<rte_acl_field_def> field_defs(bool v6) {
  std::vector<rte_acl_field_def> f;
  f.push_back({RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), 0, 0, 0});
  unsigned words = v6 ? 4 : 1;
  size_t src_off = v6 ? offsetof(SpKey6, src) : offsetof(SpKey4, src);
  size_t dst_off = v6 ? offsetof(SpKey6, dst) : offsetof(SpKey4, dst);
  size_t port_off = v6 ? offsetof(SpKey6, sport) : offsetof(SpKey4, sport);
  uint8_t idx = 1;
  for (unsigned w = 0; w < words; ++w, ++idx)
    f.push_back({RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), uint8_t(f.size()), idx,
                 uint32_t(src_off + 4 * w)});
  for (unsigned w = 0; w < words; ++w, ++idx)
    f.push_back({RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), uint8_t(f.size()), idx,
                 uint32_t(dst_off + 4 * w)});
  f.push_back(
      {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), uint8_t(f.size()), idx, uint32_t(port_off)});
  f.push_back(
      {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), uint8_t(f.size()), idx, uint32_t(port_off + 2)});
  return f;
}

}  // namespace

SpClassifier::~SpClassifier() {
  rte_acl_free(ctx_);
}

void SpClassifier::classify(const uint8_t** keys, uint32_t* results, uint32_t n) const {
  if (!ctx_) {
    for (uint32_t i = 0; i < n; ++i) results[i] = SpVerdict::kNoMatch;
    return;
  }
  rte_acl_classify(ctx_, keys, results, n, 1);
}

Result<std::unique_ptr<Spd>> Spd::create(const std::vector<SpRule>& rules, const SaTable& sas) {
  auto spd = std::make_unique<Spd>();
  static std::atomic<unsigned> serial{0};
  for (unsigned c = 0; c < 4; ++c) {
    SaDirection dir = c >= 2 ? SaDirection::Inbound : SaDirection::Outbound;
    bool v6 = c & 1;
    std::vector<SpAclRule> acl;
    for (const SpRule& r : rules) {
      if (r.dir != dir || r.v6 != v6) continue;
      SpAclRule a{};
      a.data.category_mask = 1;
      a.data.priority = int32_t(r.priority);
      if (r.action == SpAction::Bypass) {
        a.data.userdata = SpVerdict::kBypass;
      } else if (r.action == SpAction::Discard) {
        a.data.userdata = SpVerdict::kDiscard;
      } else {
        int32_t sa = sas.find(r.spi, dir);
        if (sa < 0) return errorf("%s: protect %u: no such SA", r.where.c_str(), r.spi);
        a.data.userdata = SpVerdict::kProtectBase + uint32_t(sa);
      }
      unsigned words = v6 ? 4 : 1, f = 0;
      a.field[f].value.u8 = r.proto_lo;
      a.field[f++].mask_range.u8 = r.proto_lo == r.proto_hi ? 0xff : 0;
      if (r.proto_lo != r.proto_hi && !(r.proto_lo == 0 && r.proto_hi == 255))
        return errorf("%s: proto ranges other than one protocol or 0:255 are not supported",
                      r.where.c_str());
      for (const auto* addr : {&r.src, &r.dst}) {
        uint8_t len = addr == &r.src ? r.src_len : r.dst_len;
        for (unsigned w = 0; w < words; ++w, ++f) {
          uint32_t be;
          std::memcpy(&be, addr->bytes.data() + 4 * w, 4);
          a.field[f].value.u32 = rte_be_to_cpu_32(be);
          a.field[f].mask_range.u32 = chunk_bits(len, w);
        }
      }
      a.field[f].value.u16 = r.sport_lo;
      a.field[f++].mask_range.u16 = r.sport_hi;
      a.field[f].value.u16 = r.dport_lo;
      a.field[f++].mask_range.u16 = r.dport_hi;
      acl.push_back(a);
    }
    SpClassifier& cls = spd->cls_[c];
    cls.nb_rules_ = acl.size();
    if (acl.empty()) continue;
    auto defs = field_defs(v6);
    std::string name = "dpa_spd_" + std::to_string(serial++);
    rte_acl_param prm{};
    prm.name = name.c_str();
    prm.socket_id = SOCKET_ID_ANY;
    prm.rule_size = sizeof(SpAclRule);  // the array stride; the build uses num_fields
    prm.max_rule_num = uint32_t(acl.size());
    cls.ctx_ = rte_acl_create(&prm);
    if (!cls.ctx_) return errorf("SPD: rte_acl_create failed");
    if (int rc = rte_acl_add_rules(cls.ctx_, reinterpret_cast<rte_acl_rule*>(acl.data()),
                                   uint32_t(acl.size()));
        rc < 0)
      return errorf("SPD: adding %zu rules failed (%d)", acl.size(), rc);
    rte_acl_config cfg{};
    cfg.num_categories = 1;
    cfg.num_fields = uint32_t(defs.size());
    std::copy(defs.begin(), defs.end(), cfg.defs);
    if (int rc = rte_acl_build(cls.ctx_, &cfg); rc < 0)
      return errorf("SPD: rte_acl_build failed (%d)", rc);
  }
  return spd;
}

}  // namespace dpaccel
