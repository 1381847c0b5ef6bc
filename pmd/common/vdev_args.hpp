// Parsing of a vdev's devargs ("key=value,key=value") for every dpaccel driver.
//
// DPDK's rte_cryptodev_pmd_parse_input_args() knows only the generic keys and rejects the rest, so
// drivers with their own keys parse everything here: the generic ones (max_nb_queue_pairs,
// socket_id, name) with DPDK's defaults, plus driver keys given by the caller. Every rejected
// key or value is logged with the device name and the reason, and probing fails with -EINVAL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpaccel::pmd {

struct VdevArgSpec {
  std::string_view key;
  std::string_view help;  // shown in the log when a value is rejected
};

struct VdevArgs {
  std::string name;  // "name=" or the vdev name
  uint32_t max_nb_queue_pairs = 0;
  int socket_id = 0;
  std::vector<std::pair<std::string, std::string>> extra;  // driver keys, in order given

  // Returns the value given for key, or def.
  std::string_view get(std::string_view key, std::string_view def) const noexcept;
};

// Parses args for vdev `vdev_name`. Returns 0 or -EINVAL (after logging under logtype).
int parse_vdev_args(const char* vdev_name, const char* args, uint32_t default_max_qps,
                    const std::vector<VdevArgSpec>& driver_keys, int logtype, VdevArgs& out);

// The name the device of a probed vdev was created under: its "name=" devarg (the last one, as
// parse_vdev_args takes it) or the vdev's own name. remove() looks the device up by this name, not
// by the vdev's: a device created as name=X is not found under the vdev name.
std::string created_device_name(const char* vdev_name, const char* args);

// Parses a non-negative decimal (or 0x hex) integer no larger than max. Returns false when it isn't
// one.
bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) noexcept;

}  // namespace dpaccel::pmd
