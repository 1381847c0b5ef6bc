#include "config/secgw_config_parser.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

namespace dpaccel {

namespace {

struct Line {
  unsigned number;  // first physical line of the logical line
  std::vector<std::string> tokens;
};

// Joins `\`-continued lines (the backslash and newline vanish, as in ipsec-secgw, so a key may be
// split mid-token; a blank before the backslash separates tokens), strips comments, splits on
// blanks.
std::vector<Line> logical_lines(std::string_view text) {
  std::vector<Line> out;
  std::string cur;
  unsigned line_no = 0, start = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view phys =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    ++line_no;
    if (cur.empty()) start = line_no;
    if (auto hash = phys.find('#'); hash != std::string_view::npos) phys = phys.substr(0, hash);
    while (!phys.empty() && (phys.back() == '\r' || phys.back() == ' ' || phys.back() == '\t'))
      phys.remove_suffix(1);
    bool cont = !phys.empty() && phys.back() == '\\';
    if (cont) phys.remove_suffix(1);
    cur.append(phys);
    if (!cont) {
      std::istringstream ss(cur);
      Line l{start, {}};
      for (std::string t; ss >> t;) l.tokens.push_back(t);
      if (!l.tokens.empty()) out.push_back(std::move(l));
      cur.clear();
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// Decimal, or hexadecimal with 0x unless hex_ok is false (where ipsec-secgw reads the value with
// atoll(), `0x10` means 0 to it: refused rather than read differently).
template <typename T>
std::optional<T> parse_number(std::string_view s, T max, bool hex_ok = true) {
  uint64_t v = 0;
  int base = 10;
  if (hex_ok && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > uint64_t(max))
    return std::nullopt;
  return T(v);
}

std::optional<IpAddress> parse_ip(std::string_view s) {
  IpAddress a;
  std::string z(s);
  if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::optional<std::pair<IpAddress, uint8_t>> parse_prefix(std::string_view s, bool v6) {
  auto slash = s.find('/');
  auto addr = parse_ip(s.substr(0, slash));
  if (!addr || addr->v6 != v6) return std::nullopt;
  uint8_t max = v6 ? 128 : 32, len = max;
  if (slash != std::string_view::npos) {
    auto l = parse_number<uint8_t>(s.substr(slash + 1), max);
    if (!l) return std::nullopt;
    len = *l;
  }
  return std::pair{*addr, len};
}

template <typename T>
std::optional<std::pair<T, T>> parse_range(std::string_view s, T max) {
  auto colon = s.find(':');
  auto lo = parse_number<T>(s.substr(0, colon), max);
  auto hi = colon == std::string_view::npos ? lo : parse_number<T>(s.substr(colon + 1), max);
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return std::pair{*lo, *hi};
}

std::optional<std::vector<uint8_t>> parse_key(std::string_view s) {
  std::vector<uint8_t> key;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(':', pos);
    std::string_view b = s.substr(pos, c == std::string_view::npos ? s.size() - pos : c - pos);
    if (b.empty() || b.size() > 2) return std::nullopt;
    uint8_t v;
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), v, 16);
    if (ec != std::errc() || p != b.data() + b.size()) return std::nullopt;
    key.push_back(v);
    if (c == std::string_view::npos) break;
    pos = c + 1;
  }
  return key;
}

std::optional<SaDirection> parse_direction(std::string_view s) {
  if (s == "in") return SaDirection::Inbound;
  if (s == "out") return SaDirection::Outbound;
  return std::nullopt;
}

std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view s) {
  auto k = parse_key(s);
  if (!k || k->size() != 6) return std::nullopt;
  std::array<uint8_t, 6> m;
  std::copy(k->begin(), k->end(), m.begin());
  return m;
}

// Walks one line's tokens; every failure carries file:line.
class LineParser {
 public:
  LineParser(const Line& l, std::string where) : l_(l), where_(std::move(where)) {}
  bool more() const { return i_ < l_.tokens.size(); }
  const std::string& next() { return l_.tokens[i_++]; }
  Result<std::string> value(const std::string& kw) {
    if (!more()) return fail("'%s' needs a value", kw.c_str());
    return next();
  }
  template <typename... A>
  Error fail(const char* fmt, A... a) const {
    char msg[400];
    std::snprintf(msg, sizeof msg, fmt, a...);
    return errorf("%s: %s", where_.c_str(), msg);
  }
  Error fail(const char* msg) const { return errorf("%s: %s", where_.c_str(), msg); }
  const std::string& where() const { return where_; }

 private:
  const Line& l_;
  std::string where_;
  size_t i_ = 1;
};

#define TRY_VALUE(var, p, kw)                \
  auto var##_r = (p).value(kw);              \
  if (!var##_r) return var##_r.take_error(); \
  const std::string& var = var##_r.value()

Result<SaConfig> parse_sa(LineParser& p, const std::vector<std::string>& tok,
                          const SaDefaults& defaults) {
  SaConfig sa;
  sa.where = p.where();
  sa.replay_window = defaults.replay_window;
  sa.esn = defaults.esn;
  if (tok.size() < 3) return p.fail("expected 'sa in|out SPI ...'");
  auto dir = parse_direction(tok[1]);
  if (!dir) return p.fail("SA direction '%s': expected 'in' or 'out'", tok[1].c_str());
  sa.dir = *dir;
  p.next();
  auto spi = parse_number<uint32_t>(p.next(), UINT32_MAX);
  // RFC 4303 §2.1: SPI 0 never appears on the wire. (1..255 are reserved by IANA but
  // ipsec-secgw's own examples use them, so they are accepted.)
  if (!spi || *spi == 0)
    return p.fail("SPI '%s': expected a number from 1 to 4294967295", tok[2].c_str());
  sa.spi = *spi;
  std::set<std::string> seen;
  bool have_src = false, have_dst = false, have_mode = false;
  while (p.more()) {
    std::string kw = p.next();
    if (!seen.insert(kw).second) return p.fail("'%s' given twice", kw.c_str());
    if (kw == "aead_algo" || kw == "cipher_algo" || kw == "auth_algo") {
      TRY_VALUE(v, p, kw);
      const EspAlgorithm* a = kw == "aead_algo"     ? find_esp_algorithm(kEspAeadAlgorithms, v)
                              : kw == "cipher_algo" ? find_esp_algorithm(kEspCipherAlgorithms, v)
                                                    : find_esp_algorithm(kEspAuthAlgorithms, v);
      if (!a) {
        for (auto u : kEspUnsupportedAlgorithms)
          if (u == v)
            return p.fail("%s '%s' is not supported by dpaccel-fwd", kw.c_str(), v.c_str());
        return p.fail("unknown %s '%s'", kw.c_str(), v.c_str());
      }
      (kw == "aead_algo" ? sa.aead : kw == "cipher_algo" ? sa.cipher : sa.auth) = a;
    } else if (kw == "aead_key" || kw == "cipher_key" || kw == "auth_key") {
      TRY_VALUE(v, p, kw);
      auto k = parse_key(v);
      if (!k) return p.fail("%s: expected hex bytes separated by ':'", kw.c_str());
      (kw == "aead_key" ? sa.aead_key : kw == "cipher_key" ? sa.cipher_key : sa.auth_key) = *k;
    } else if (kw == "mode") {
      TRY_VALUE(v, p, kw);
      if (v == "ipv4-tunnel")
        sa.mode = SaMode::Ipv4Tunnel;
      else if (v == "ipv6-tunnel")
        sa.mode = SaMode::Ipv6Tunnel;
      else if (v == "transport")
        sa.mode = SaMode::Transport;
      else
        return p.fail("mode '%s': expected ipv4-tunnel, ipv6-tunnel or transport", v.c_str());
      have_mode = true;
    } else if (kw == "src" || kw == "dst") {
      TRY_VALUE(v, p, kw);
      auto a = parse_ip(v);
      if (!a) return p.fail("%s '%s': not an IPv4 or IPv6 address", kw.c_str(), v.c_str());
      (kw == "src" ? sa.tunnel_src : sa.tunnel_dst) = *a;
      (kw == "src" ? have_src : have_dst) = true;
    } else if (kw == "type") {
      TRY_VALUE(v, p, kw);
      if (v == "lookaside-none" || v == "no-offload")
        sa.type = CryptoType::LookasideNone;
      else if (v == "cpu-crypto")
        sa.type = CryptoType::CpuCrypto;
      else if (v == "inline-crypto-offload" || v == "inline-protocol-offload" ||
               v == "lookaside-protocol-offload")
        return p.fail("type '%s' needs rte_security offload, which dpaccel-fwd does not use",
                      v.c_str());
      else
        return p.fail("type '%s': expected lookaside-none or cpu-crypto", v.c_str());
    } else if (kw == "esn") {
      TRY_VALUE(v, p, kw);
      // Decimal only: ipsec-secgw reads the value with atoll(), so `esn 0x10` is 0 (ESN off) there.
      auto n = parse_number<uint64_t>(v, UINT64_MAX, /*hex_ok=*/false);
      if (!n) return p.fail("esn '%s': expected the first sequence number, in decimal", v.c_str());
      // ipsec-secgw's meaning (librte_ipsec): N > 0 turns ESN on for this SA, and 0 leaves it
      // as -e says; a peer running secgw with the same file must agree on both.
      if (*n > 0) sa.esn = true;
      sa.esn_initial = *n;
    } else if (kw == "udp-encap") {
      sa.udp_encap = true;
    } else if (kw == "fragment") {
      sa.fragment = true;
    } else if (kw == "replay_window") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint32_t>(v, kReplayWindowMax);
      if (!n || (*n != 0 && *n < kReplayWindowMin))
        return p.fail("replay_window '%s': expected 0 (off) or %u..%u", v.c_str(), kReplayWindowMin,
                      kReplayWindowMax);
      sa.replay_window = *n;
    } else if (kw == "ttl") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint8_t>(v, 255);
      if (!n || *n == 0) return p.fail("ttl '%s': expected 1..255", v.c_str());
      sa.ttl = *n;
    } else if (kw == "ipcomp") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint16_t>(v, UINT16_MAX);
      // RFC 3173 §3.3: 0..63 are well-known (DEFLATE is 2), 64..255 reserved, 256.. negotiated.
      if (!n || (*n != kIpcompCpiDeflate && *n < 256))
        return p.fail("ipcomp '%s': expected the CPI, 2 (DEFLATE) or 256..65535", v.c_str());
      sa.ipcomp.enabled = true;
      sa.ipcomp.cpi = *n;
    } else if (kw == "ipcomp_min") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint16_t>(v, UINT16_MAX);
      if (!n) return p.fail("ipcomp_min '%s': expected a payload size in bytes", v.c_str());
      sa.ipcomp.min_size = *n;
    } else if (kw == "ipcomp_level") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint8_t>(v, 9);
      if (!n || *n == 0) return p.fail("ipcomp_level '%s': expected 1..9", v.c_str());
      sa.ipcomp.level = *n;
    } else if (kw == "ipcomp_huffman") {
      TRY_VALUE(v, p, kw);
      if (v == "fixed")
        sa.ipcomp.huffman = IpcompConfig::Huffman::Fixed;
      else if (v == "dynamic")
        sa.ipcomp.huffman = IpcompConfig::Huffman::Dynamic;
      else if (v == "default")
        sa.ipcomp.huffman = IpcompConfig::Huffman::Default;
      else
        return p.fail("ipcomp_huffman '%s': expected fixed, dynamic or default", v.c_str());
    } else if (kw == "ipcomp_skip") {
      // K/M: after K packets in a row that did not shrink, send the next M without trying.
      TRY_VALUE(v, p, kw);
      const size_t slash = v.find('/');
      auto k = parse_number<uint16_t>(v.substr(0, slash), UINT16_MAX);
      auto m = slash == std::string::npos ? std::nullopt
                                          : parse_number<uint32_t>(v.substr(slash + 1), 1u << 24);
      if (!k || !m || (*k != 0 && *m == 0))
        return p.fail(
            "ipcomp_skip '%s': expected K/M (after K incompressible packets send M uncompressed; "
            "0/0 turns it off)",
            v.c_str());
      sa.ipcomp.skip_after = *k;
      sa.ipcomp.skip_count = *m;
    } else if (kw == "port_id") {
      // ipsec-secgw ignores port_id for lookaside SAs; so do we (the route picks the port).
      TRY_VALUE(v, p, kw);
      if (!parse_number<uint16_t>(v, UINT16_MAX))
        return p.fail("port_id '%s': not a number", v.c_str());
    } else if (kw == "telemetry") {
      // ipsec-secgw's per-SA telemetry switch: dpaccel-fwd keeps per-SA counters for every SA.
    } else if (kw == "fallback" || kw == "flow-direction" || kw == "mss" || kw == "reassembly_en") {
      return p.fail("keyword '%s' belongs to ipsec-secgw's inline offload and is not supported",
                    kw.c_str());
    } else {
      return p.fail("unknown sa keyword '%s'", kw.c_str());
    }
  }
  if (sa.aead && (sa.cipher || sa.auth))
    return p.fail("aead_algo cannot be combined with cipher_algo/auth_algo");
  if (!sa.aead && !(sa.cipher && sa.auth))
    return p.fail("an SA needs aead_algo, or both cipher_algo and auth_algo");
  auto check_key = [&](const EspAlgorithm* a, const std::vector<uint8_t>& key, const char* kw,
                       bool given) -> Result<void> {
    size_t want = a->key_len + a->salt_len;
    if (want == 0) {
      if (given)
        return p.fail("%s given for algorithm '%.*s', which takes none", kw, int(a->name.size()),
                      a->name.data());
      return {};
    }
    if (!given) return p.fail("%s missing for '%.*s'", kw, int(a->name.size()), a->name.data());
    if (key.size() != want)
      return p.fail("%s has %zu bytes; '%.*s' needs %zu%s", kw, key.size(), int(a->name.size()),
                    a->name.data(), want, a->salt_len ? " (key followed by 4-byte salt)" : "");
    return {};
  };
  if (sa.aead) {
    if (auto r = check_key(sa.aead, sa.aead_key, "aead_key", seen.count("aead_key")); !r)
      return r.take_error();
  } else {
    if (auto r = check_key(sa.cipher, sa.cipher_key, "cipher_key", seen.count("cipher_key")); !r)
      return r.take_error();
    if (auto r = check_key(sa.auth, sa.auth_key, "auth_key", seen.count("auth_key")); !r)
      return r.take_error();
  }
  for (const char* k : {"ipcomp_min", "ipcomp_level", "ipcomp_huffman", "ipcomp_skip"})
    if (seen.count(k) && !sa.ipcomp.enabled) return p.fail("%s needs 'ipcomp CPI' on the SA", k);
  if (!have_mode) return p.fail("mode missing (ipv4-tunnel, ipv6-tunnel or transport)");
  if (sa.tunnel()) {
    if (!have_src || !have_dst) return p.fail("tunnel mode needs both src and dst");
    bool v6 = sa.mode == SaMode::Ipv6Tunnel;
    if (sa.tunnel_src.v6 != v6 || sa.tunnel_dst.v6 != v6)
      return p.fail("src/dst must be %s addresses for mode %s", v6 ? "IPv6" : "IPv4",
                    v6 ? "ipv6-tunnel" : "ipv4-tunnel");
  } else if (have_src || have_dst) {
    return p.fail("src/dst are tunnel endpoints; transport mode takes none");
  }
  if (sa.fragment && (!sa.tunnel() || sa.dir != SaDirection::Outbound))
    return p.fail(
        "fragment applies to outbound tunnel-mode SAs (transport mode carries no "
        "fragments, RFC 4301 §7)");
  return sa;
}

Result<SpRule> parse_sp(LineParser& p, const std::vector<std::string>& tok) {
  SpRule r;
  r.where = p.where();
  if (tok.size() < 4)
    return p.fail("expected 'sp ipv4|ipv6 in|out esp protect SPI|bypass|discard ...'");
  if (tok[1] == "ipv6")
    r.v6 = true;
  else if (tok[1] != "ipv4")
    return p.fail("sp family '%s': expected ipv4 or ipv6", tok[1].c_str());
  auto dir = parse_direction(tok[2]);
  if (!dir) return p.fail("sp direction '%s': expected 'in' or 'out'", tok[2].c_str());
  r.dir = *dir;
  p.next();
  p.next();
  std::set<std::string> seen;
  bool have_action = false;
  while (p.more()) {
    std::string kw = p.next();
    if (kw == "esp") continue;  // ipsec-secgw's protocol word, always esp
    if (!seen.insert(kw).second) return p.fail("'%s' given twice", kw.c_str());
    if (kw == "protect" || kw == "bypass" || kw == "discard") {
      if (have_action) return p.fail("more than one of protect/bypass/discard");
      have_action = true;
      if (kw == "protect") {
        TRY_VALUE(v, p, kw);
        auto spi = parse_number<uint32_t>(v, UINT32_MAX);
        if (!spi) return p.fail("protect '%s': expected an SPI", v.c_str());
        r.action = SpAction::Protect;
        r.spi = *spi;
      } else {
        r.action = kw == "bypass" ? SpAction::Bypass : SpAction::Discard;
      }
    } else if (kw == "pri") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint32_t>(v, UINT32_MAX);
      // rte_acl's priority range (1..RTE_ACL_MAX_PRIORITY); higher wins, as in ipsec-secgw.
      if (!n || *n < 1 || *n > 0x1FFFFFFF)
        return p.fail("pri '%s': expected 1..536870911 (rte_acl has no priority 0)", v.c_str());
      r.priority = *n;
    } else if (kw == "src" || kw == "dst") {
      TRY_VALUE(v, p, kw);
      // ipsec-secgw reads an address without a length as /0 (any address), which a file that
      // names one host hardly means: say it, rather than differ silently in either direction.
      if (v.find('/') == std::string::npos)
        return p.fail(
            "%s '%s': give a prefix length (/%u for this host, /0 for any address; ipsec-secgw "
            "reads an address without one as /0)",
            kw.c_str(), v.c_str(), r.v6 ? 128u : 32u);
      auto pr = parse_prefix(v, r.v6);
      if (!pr)
        return p.fail("%s '%s': expected an %s address/prefix", kw.c_str(), v.c_str(),
                      r.v6 ? "IPv6" : "IPv4");
      (kw == "src" ? r.src : r.dst) = pr->first;
      (kw == "src" ? r.src_len : r.dst_len) = pr->second;
    } else if (kw == "proto") {
      TRY_VALUE(v, p, kw);
      auto rg = parse_range<uint8_t>(v, 255);
      if (!rg) return p.fail("proto '%s': expected N or FROM:TO within 0..255", v.c_str());
      // ipsec-secgw's guide calls X:Y a range and its code matches it as value:mask (6:6 also
      // matches 7, 14, 15, ...; 6:255 is TCP alone): only the readings both agree on are taken.
      if (rg->first != rg->second && !(rg->first == 0 && rg->second == 255))
        return p.fail(
            "proto '%s': give one protocol (N or N:N) or any (0:255); ipsec-secgw's guide reads "
            "X:Y as a range and its code as value:mask, which differ here",
            v.c_str());
      r.proto_lo = rg->first;
      r.proto_hi = rg->second;
    } else if (kw == "sport" || kw == "dport") {
      TRY_VALUE(v, p, kw);
      auto rg = parse_range<uint16_t>(v, 65535);
      if (!rg) return p.fail("%s '%s': expected FROM:TO within 0..65535", kw.c_str(), v.c_str());
      (kw == "sport" ? r.sport_lo : r.dport_lo) = rg->first;
      (kw == "sport" ? r.sport_hi : r.dport_hi) = rg->second;
    } else {
      return p.fail("unknown sp keyword '%s'", kw.c_str());
    }
  }
  if (!have_action) return p.fail("sp needs one of protect SPI, bypass or discard");
  if (!seen.count("pri")) return p.fail("sp needs pri N (1..536870911; higher wins)");
  return r;
}

Result<RouteRule> parse_rt(LineParser& p, const std::vector<std::string>& tok) {
  RouteRule r;
  r.where = p.where();
  if (tok.size() < 2 || (tok[1] != "ipv4" && tok[1] != "ipv6"))
    return p.fail("expected 'rt ipv4|ipv6 dst PREFIX port N'");
  bool v6 = tok[1] == "ipv6";
  p.next();
  bool have_dst = false, have_port = false;
  while (p.more()) {
    std::string kw = p.next();
    if (kw == "dst") {
      TRY_VALUE(v, p, kw);
      auto pr = parse_prefix(v, v6);
      if (!pr) return p.fail("dst '%s': expected an %s prefix", v.c_str(), v6 ? "IPv6" : "IPv4");
      r.dst = pr->first;
      r.len = pr->second;
      have_dst = true;
    } else if (kw == "port") {
      TRY_VALUE(v, p, kw);
      auto n = parse_number<uint16_t>(v, kMaxPortId);
      if (!n) return p.fail("port '%s': expected a port id", v.c_str());
      r.port = *n;
      have_port = true;
    } else {
      return p.fail("unknown rt keyword '%s'", kw.c_str());
    }
  }
  if (!have_dst || !have_port) return p.fail("rt needs dst and port");
  return r;
}

Result<NeighRule> parse_neigh(LineParser& p, const std::vector<std::string>& tok) {
  NeighRule n;
  n.where = p.where();
  if (tok.size() != 4 || tok[1] != "port") return p.fail("expected 'neigh port N MAC'");
  auto port = parse_number<uint16_t>(tok[2], kMaxPortId);
  if (!port) return p.fail("port '%s': expected a port id", tok[2].c_str());
  auto mac = parse_mac(tok[3]);
  if (!mac) return p.fail("'%s': expected a MAC address like 02:00:00:00:00:01", tok[3].c_str());
  n.port = *port;
  n.mac = *mac;
  return n;
}

}  // namespace

Result<GatewayConfig> parse_secgw_config(std::string_view text, std::string_view file_name,
                                         const SaDefaults& defaults) {
  GatewayConfig cfg;
  std::string file(file_name);
  for (const Line& l : logical_lines(text)) {
    LineParser p(l, file + ":" + std::to_string(l.number));
    const std::string& what = l.tokens[0];
    if (what == "sa") {
      auto r = parse_sa(p, l.tokens, defaults);
      if (!r) return r.take_error();
      for (const SaConfig& o : cfg.sas)
        if (o.spi == r->spi && o.dir == r->dir)
          return p.fail("SPI %u already used by the SA at %s", r->spi, o.where.c_str());
      cfg.sas.push_back(std::move(r.value()));
    } else if (what == "sp") {
      auto r = parse_sp(p, l.tokens);
      if (!r) return r.take_error();
      cfg.sp.push_back(std::move(r.value()));
    } else if (what == "rt") {
      auto r = parse_rt(p, l.tokens);
      if (!r) return r.take_error();
      cfg.routes.push_back(std::move(r.value()));
    } else if (what == "neigh") {
      auto r = parse_neigh(p, l.tokens);
      if (!r) return r.take_error();
      for (const NeighRule& o : cfg.neigh)
        if (o.port == r->port)
          return p.fail("port %u already has a neigh line (%s)", r->port, o.where.c_str());
      cfg.neigh.push_back(std::move(r.value()));
    } else {
      return p.fail("unknown line type '%s' (expected sa, sp, rt or neigh)", what.c_str());
    }
  }
  // A protect policy must name an SA of its direction and family-independent SPI.
  for (const SpRule& r : cfg.sp) {
    if (r.action != SpAction::Protect) continue;
    bool found = false;
    for (const SaConfig& sa : cfg.sas) found |= sa.spi == r.spi && sa.dir == r.dir;
    if (!found)
      return errorf("%s: protect %u: no %s SA with that SPI", r.where.c_str(), r.spi,
                    r.dir == SaDirection::Inbound ? "inbound" : "outbound");
  }
  return cfg;
}

Result<GatewayConfig> load_secgw_config(const std::string& path, const SaDefaults& defaults) {
  std::ifstream in(path);
  if (!in) return errorf("%s: cannot open configuration file", path.c_str());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_secgw_config(ss.str(), path, defaults);
}

}  // namespace dpaccel
