#include "vdev_args.hpp"

#include <cerrno>
#include <charconv>

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_memory.h>

namespace dpaccel::pmd {

std::string_view VdevArgs::get(std::string_view key, std::string_view def) const noexcept {
  for (const auto& [k, v] : extra)
    if (k == key) return v;
  return def;
}

bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) noexcept {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return false;
  out = v;
  return true;
}

namespace {
struct ParseCtx {
  const char* vdev;
  const std::vector<VdevArgSpec>* keys;
  int logtype;
  VdevArgs* out;
  int error = 0;
};

int on_pair(const char* key, const char* value, void* opaque) {
  auto* c = static_cast<ParseCtx*>(opaque);
  std::string_view k(key), v(value ? value : "");
  uint64_t n = 0;
  if (k == "max_nb_queue_pairs") {
    if (!parse_uint(v, UINT16_MAX, n) || n == 0) {
      rte_log(RTE_LOG_ERR, c->logtype, "%s: max_nb_queue_pairs=%s: expected 1..65535\n", c->vdev,
              value);
      c->error = -EINVAL;
      return -1;
    }
    c->out->max_nb_queue_pairs = static_cast<uint32_t>(n);
  } else if (k == "socket_id") {
    if (!parse_uint(v, RTE_MAX_NUMA_NODES - 1, n)) {
      rte_log(RTE_LOG_ERR, c->logtype, "%s: socket_id=%s: expected 0..%d\n", c->vdev, value,
              RTE_MAX_NUMA_NODES - 1);
      c->error = -EINVAL;
      return -1;
    }
    c->out->socket_id = static_cast<int>(n);
  } else if (k == "name") {
    if (v.empty() || v.size() >= 64) {
      rte_log(RTE_LOG_ERR, c->logtype, "%s: name=%s: expected 1..63 characters\n", c->vdev, value);
      c->error = -EINVAL;
      return -1;
    }
    c->out->name = v;
  } else {
    c->out->extra.emplace_back(std::string(k), std::string(v));
  }
  return 0;
}
}  // namespace

int parse_vdev_args(const char* vdev_name, const char* args, uint32_t default_max_qps,
                    const std::vector<VdevArgSpec>& driver_keys, int logtype, VdevArgs& out) {
  out = VdevArgs{};
  out.name = vdev_name;
  out.max_nb_queue_pairs = default_max_qps;
  out.socket_id = static_cast<int>(rte_socket_id());
  if (out.socket_id < 0 || out.socket_id == SOCKET_ID_ANY) out.socket_id = 0;
  if (args == nullptr || args[0] == '\0') return 0;

  std::vector<const char*> valid{"max_nb_queue_pairs", "socket_id", "name"};
  for (const auto& k : driver_keys) valid.push_back(k.key.data());
  valid.push_back(nullptr);
  rte_kvargs* kv = rte_kvargs_parse(args, valid.data());
  if (kv == nullptr) {
    std::string known;
    for (const char* k : valid)
      if (k) known += std::string(known.empty() ? "" : ", ") + k;
    rte_log(RTE_LOG_ERR, logtype, "%s: cannot parse devargs \"%s\" (known keys: %s)\n", vdev_name,
            args, known.c_str());
    return -EINVAL;
  }
  ParseCtx ctx{vdev_name, &driver_keys, logtype, &out};
  int rc = rte_kvargs_process(kv, nullptr, on_pair, &ctx);
  rte_kvargs_free(kv);
  if (rc != 0) return ctx.error ? ctx.error : -EINVAL;
  return 0;
}

std::string created_device_name(const char* vdev_name, const char* args) {
  std::string name = vdev_name;
  if (args == nullptr || args[0] == '\0') return name;
  // Probing accepted these devargs, so they parse; driver keys need no list here.
  rte_kvargs* kv = rte_kvargs_parse(args, nullptr);
  if (kv == nullptr) return name;
  rte_kvargs_process(
      kv, "name",
      [](const char*, const char* value, void* out) {
        if (value && value[0]) *static_cast<std::string*>(out) = value;
        return 0;
      },
      &name);
  rte_kvargs_free(kv);
  return name;
}

}  // namespace dpaccel::pmd
