// EAL for a test or benchmark binary, set up the project's way: lcore 0, no hugepages, no PCI, no
// shared configuration, and a file prefix unique to the process so runs never share runtime files.
#pragma once

#include <rte_eal.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace dpaccel::test {

// `extra`: the binary's own EAL arguments (vdevs, log levels). Returns rte_eal_init()'s result.
inline int init_test_eal(const std::string& name, unsigned mem_mb,
                         const std::vector<std::string>& extra) {
  std::vector<std::string> args{
      name,         "-l",
      "0",          "--no-huge",
      "-m",         std::to_string(mem_mb),
      "--no-pci",   "--file-prefix=dpaccel-" + name + "-" + std::to_string(getpid()),
      "--no-shconf"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return rte_eal_init(static_cast<int>(argv.size()), argv.data());
}

}  // namespace dpaccel::test
