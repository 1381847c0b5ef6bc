// The drivers' rte_telemetry commands, queried from inside the test process the way
// dpdk-telemetry.py does: over the process's telemetry socket (SOCK_SEQPACKET), JSON back.
#pragma once

#include <rte_eal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace dpaccel::test {

// Sends cmd to this process's telemetry socket and returns the JSON reply ("" if unreachable).
inline std::string telemetry(const std::string& cmd) {
  std::string path = std::string(rte_eal_get_runtime_dir()) + "/dpdk_telemetry.v2";
  int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  std::string out;
  char buf[16384];
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      read(fd, buf, sizeof buf) > 0 &&  // the greeting
      write(fd, cmd.data(), cmd.size()) == static_cast<ssize_t>(cmd.size())) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// The first number of the array `key` in a telemetry JSON reply (-1 when absent).
inline long long first_of(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":[");
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + key.size() + 4));
}

}  // namespace dpaccel::test
