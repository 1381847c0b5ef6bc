#include "options.hpp"

#include <getopt.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace dpaccel::fwd {

namespace {

template <typename T>
bool to_number(std::string_view s, T& out, int base = 10) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// "(port,queue,lcore),(port,queue,lcore)..." as in ipsec-secgw / l3fwd.
Result<std::vector<LcoreQueue>> parse_config_tuples(std::string_view s) {
  std::vector<LcoreQueue> out;
  size_t pos = 0;
  while (pos < s.size()) {
    if (s[pos] == ',' || s[pos] == ' ') {
      ++pos;
      continue;
    }
    if (s[pos] != '(')
      return errorf("--config: expected '(' at \"%.*s\"", int(s.size() - pos), s.data() + pos);
    size_t close = s.find(')', pos);
    if (close == std::string_view::npos) return errorf("--config: missing ')'");
    std::string_view t = s.substr(pos + 1, close - pos - 1);
    std::vector<std::string_view> parts;
    for (size_t b = 0;;) {
      size_t c = t.find(',', b);
      parts.push_back(t.substr(b, c == std::string_view::npos ? t.size() - b : c - b));
      if (c == std::string_view::npos) break;
      b = c + 1;
    }
    unsigned v[3];
    if (parts.size() != 3 || !to_number(parts[0], v[0]) || !to_number(parts[1], v[1]) ||
        !to_number(parts[2], v[2]))
      return errorf("--config: tuple \"(%.*s)\" must be (port,queue,lcore)", int(t.size()),
                    t.data());
    if (v[0] > 1023 || v[1] > 1023)
      return errorf("--config: port or queue out of range in (%.*s)", int(t.size()), t.data());
    out.push_back({uint16_t(v[0]), uint16_t(v[1]), v[2]});
    pos = close + 1;
  }
  if (out.empty()) return errorf("--config: no (port,queue,lcore) tuple");
  return out;
}

}  // namespace

const char* usage_text() {
  return R"(usage: dpaccel-fwd [EAL options] -- -f CONFIG -p PORTMASK -u UNPROTECTED_MASK [options]

An IPsec ESP security gateway. Packets received on protected ports are checked against the
outbound policies (sp ... out) and sent out through ESP (protect), as they are (bypass), or
dropped (discard); packets received on unprotected ports are decrypted when they are ESP for an
inbound SA, or passed when an inbound bypass policy allows them. Routes (rt) choose the output
port, neighbours (neigh) its destination MAC. Every packet not forwarded is counted under a reason.

  -f CONFIG          configuration in ipsec-secgw syntax (sa, sp, rt, neigh lines)
  -p PORTMASK        hexadecimal mask of the ports to use
  -u MASK            hexadecimal mask of the unprotected (ESP-side) ports, a subset of -p
  --config (PORT,QUEUE,LCORE)[,(PORT,QUEUE,LCORE)...]
                     which lcore polls which rx queue; each lcore in the list is a worker with
                     its own crypto queue pair and a tx queue on every port. Several queues of a
                     port spread traffic with RSS. Default: queue 0 of every port on the main lcore
  --stats SECONDS, -t SECONDS
                     print a statistics line every SECONDS (default: only the final report;
                     -t is ipsec-secgw's spelling)
  -P                 put the ports in promiscuous mode
  -w WINDOW          default anti-replay window for inbound SAs: 0 (off) or 64..4096 (default 64;
                     an SA's `replay_window N` overrides it)
  -e                 extended (64-bit) sequence numbers for every SA (an SA's `esn N`, N > 0,
                     turns them on for that SA alone and sets its first number)
  --cryptodev NAME   the crypto device to use (default: the first one; when there is none, a
                     crypto_dpaccel_cpu device is created)
  --compressdev NAME the compress device for SAs with IPComp (default: the first one; when
                     there is none, a compress_dpaccel_cpu device is created). It must do its
                     work inside enqueue (a CPU device): each worker waits for its IPComp ops
  --exit-idle-ms MS  stop once no packet has arrived for MS milliseconds (for pcap replays)
  --mbufs N          packet buffers in the pool (default: sized from ports and queues)
  --flow-cache N     SPD flow cache: slots per worker, direction and IP family, 0 (off) or a
                     power of two up to 1048576 (default 4096). A flow seen before skips the
                     rte_acl policy lookup; two-way buckets, a third colliding flow
                     replaces the older of the two
  --help             this text

The forwarder stops on SIGINT or SIGTERM, finishing what is at the crypto device, and prints the
final statistics. Counters are also in rte_telemetry: /dpaccel/fwd/stats, /dpaccel/fwd/ports,
/dpaccel/fwd/sa (dpdk-telemetry.py).

IPComp (RFC 3173, DEFLATE) is set per SA on its sa line: `ipcomp CPI` (2, or 256..65535),
`ipcomp_min BYTES` (payloads below go uncompressed; default 90), `ipcomp_level 1..9` (default 1),
`ipcomp_huffman fixed|dynamic|default`, `ipcomp_skip K/M` (after K packets in a row that did not
shrink, send M without trying; default 8/256, 0/0 off). Packets are compressed before ESP and decompressed after it.
)";
}

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  bool have_f = false, have_p = false, have_u = false;
  enum { kConfig = 256, kStats, kCryptodev, kCompressdev, kExitIdle, kMbufs, kFlowCache, kHelp };
  static const option longopts[] = {{"config", required_argument, nullptr, kConfig},
                                    {"stats", required_argument, nullptr, kStats},
                                    {"cryptodev", required_argument, nullptr, kCryptodev},
                                    {"compressdev", required_argument, nullptr, kCompressdev},
                                    {"exit-idle-ms", required_argument, nullptr, kExitIdle},
                                    {"mbufs", required_argument, nullptr, kMbufs},
                                    {"flow-cache", required_argument, nullptr, kFlowCache},
                                    {"help", no_argument, nullptr, kHelp},
                                    {nullptr, 0, nullptr, 0}};
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":f:p:u:Pw:eht:", longopts, nullptr)) != -1) {
    std::string_view arg = optarg ? optarg : "";
    switch (c) {
      case 'f':
        o.config_file = arg;
        have_f = true;
        break;
      case 'p':
        if (!to_number(arg, o.port_mask, 16) || !o.port_mask)
          return errorf("-p '%s': expected a non-zero hexadecimal port mask", optarg);
        have_p = true;
        break;
      case 'u':
        if (!to_number(arg, o.unprotected_mask, 16))
          return errorf("-u '%s': expected a hexadecimal port mask", optarg);
        have_u = true;
        break;
      case 'P': o.promiscuous = true; break;
      case 'w':
        if (!to_number(arg, o.replay_window) ||
            (o.replay_window && (o.replay_window < 64 || o.replay_window > 4096)))
          return errorf("-w '%s': expected 0 (off) or 64..4096", optarg);
        break;
      case 'e': o.esn = true; break;
      case kConfig: {
        auto r = parse_config_tuples(arg);
        if (!r) return r.take_error();
        o.lcore_queues = std::move(r.value());
        break;
      }
      case 't':
      case kStats:
        if (!to_number(arg, o.stats_seconds))
          return errorf("%s '%s': expected seconds", c == 't' ? "-t" : "--stats", optarg);
        break;
      case kCryptodev: o.cryptodev = arg; break;
      case kCompressdev: o.compressdev = arg; break;
      case kExitIdle:
        if (!to_number(arg, o.exit_idle_ms) || !o.exit_idle_ms)
          return errorf("--exit-idle-ms '%s': expected milliseconds > 0", optarg);
        break;
      case kMbufs:
        if (!to_number(arg, o.nb_mbufs) || o.nb_mbufs < 1024)
          return errorf("--mbufs '%s': expected at least 1024", optarg);
        break;
      case kFlowCache:
        if (!to_number(arg, o.flow_cache) || o.flow_cache > (1u << 20) ||
            (o.flow_cache & (o.flow_cache - 1)))
          return errorf("--flow-cache '%s': expected 0 (off) or a power of two up to 1048576",
                        optarg);
        break;
      case 'h':
      case kHelp: o.help = true; return o;
      case ':': return errorf("option '%s' needs a value (see --help)", argv[optind - 1]);
      default: return errorf("unknown option '%s' (see --help)", argv[optind - 1]);
    }
  }
  if (optind < argc) return errorf("unexpected argument '%s' (see --help)", argv[optind]);
  if (!have_f) return errorf("-f CONFIG is required (see --help)");
  if (!have_p) return errorf("-p PORTMASK is required (see --help)");
  if (!have_u) return errorf("-u UNPROTECTED_MASK is required (see --help)");
  if (o.unprotected_mask & ~o.port_mask)
    return errorf("-u %#lx names ports outside -p %#lx", o.unprotected_mask, o.port_mask);
  for (const LcoreQueue& lq : o.lcore_queues)
    if (lq.port >= 64 || !(o.port_mask >> lq.port & 1))
      return errorf("--config: port %u is not in the port mask", lq.port);
  return o;
}

}  // namespace dpaccel::fwd
