#!/usr/bin/env bash
# End to end through real kernel networking: two hosts in their own network namespaces, joined
# by two dpaccel-fwd gateways (each in its namespace, net_af_packet on veth pairs) over an
# AES-128-GCM ESP tunnel with IPComp (RFC 3173) on its SAs:
#
#   [hA 10.0.1.2] hA0 ══ a0 [gwA] a1 ══ b1 [gwB] b0 ══ hB0 [hB 10.0.2.2]
#                     protected   ESP 172.16.0.1 <-> 172.16.0.2   protected
#
# Checks: ping both ways, TCP transfers of a random file (incompressible: goes uncompressed) and of
# a text file (goes compressed) whose SHA-256 must match, that the traffic really went through
# the SAs and IPComp (gateway counters, telemetry), no unexpected drops, and every mbuf back in
# its pool after SIGINT.
#
# With --tap, gateway A's protected port is a net_tap port instead: host A is then gateway A's
# own namespace, whose kernel reaches the tunnel through the tap interface the PMD creates there.
#
#   [gwA's kernel 10.0.1.2] tap ══ [gwA] a1 ══ b1 [gwB] b0 ══ hB0 [hB 10.0.2.2]
#
# usage: netns_tunnel.sh PATH/TO/dpaccel-fwd [--tap]   (needs root; exits 77 = skipped otherwise)
set -uo pipefail
fwd=$(realpath "$1")
tap_mode=0
[ "${2:-}" = --tap ] && tap_mode=1
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
  echo "skipped: needs root and ip netns"; exit 77
fi
for tool in ping nc ethtool sha256sum; do
  command -v $tool >/dev/null || { echo "skipped: $tool missing (scripts/setup installs it)"; exit 77; }
done
id=$$
nsA=dpa_hA_$id nsB=dpa_hB_$id gA=dpa_gwA_$id gB=dpa_gwB_$id
tap=dpatap$id
[ $tap_mode = 1 ] && nsA=$gA  # host A is gateway A's namespace, on the tap
# net_tap's DPDK side and the kernel side of its interface, both fixed so the files can name them.
tap_mac_dpdk=02:00:00:00:0a:01 tap_mac_kernel=02:00:00:00:0a:02
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for n in $nsA $nsB $gA $gB; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() {  # check <name> <command...>
  local name=$1; shift
  if "$@"; then echo "ok     $name"; pass=$((pass + 1)); else echo "FAILED $name"; fail=$((fail + 1)); fi
}

for n in $(printf '%s\n' $nsA $nsB $gA $gB | sort -u); do
  ip netns add "$n"
  ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
[ $tap_mode = 1 ] || ip link add hA0 netns $nsA type veth peer name a0 netns $gA
ip link add a1 netns $gA type veth peer name b1 netns $gB
ip link add b0 netns $gB type veth peer name hB0 netns $nsB
for pair in "$gA a1" "$gB b1" "$gB b0" "$nsB hB0"; do
  set -- $pair
  ip -n "$1" link set "$2" up
done
[ $tap_mode = 1 ] || { ip -n $nsA link set hA0 up; ip -n $gA link set a0 up; }
mac() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
# Hosts: an MTU that leaves room for ESP, checksums computed in software (a veth would otherwise
# hand af_packet packets whose checksum the kernel never filled in).
host_setup() {  # host_setup <ns> <if> <gateway ip> <gateway mac>
  ip -n "$1" link set "$2" mtu 1400
  ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1
  ip -n "$1" route add default via "$3"
  ip -n "$1" neigh add "$3" lladdr "$4" dev "$2"
}
ip -n $nsB addr add 10.0.2.2/24 dev hB0
host_setup $nsB hB0 10.0.2.1 "$(mac $gB b0)"
if [ $tap_mode = 0 ]; then
  ip -n $nsA addr add 10.0.1.2/24 dev hA0
  host_setup $nsA hA0 10.0.1.1 "$(mac $gA a0)"
  hA_mac=$(mac $nsA hA0)
else
  hA_mac=$tap_mac_kernel
fi

key_ab=2b:7e:15:16:28:ae:d2:a6:ab:f7:15:88:09:cf:4f:3c:ca:fe:ba:be
key_ba=60:3d:eb:10:15:ca:71:be:2b:73:ae:f0:85:7d:77:81:de:ad:be:ef
cat > "$work/gwA.cfg" <<CFG
sa out 1001 aead_algo aes-128-gcm aead_key $key_ab mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2 ipcomp 4096
sa in 2001 aead_algo aes-128-gcm aead_key $key_ba mode ipv4-tunnel src 172.16.0.2 dst 172.16.0.1 ipcomp 4097
sp ipv4 out esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
sp ipv4 in esp protect 2001 pri 1 src 10.0.2.0/24 dst 10.0.1.0/24
rt ipv4 dst 172.16.0.2/32 port 1
rt ipv4 dst 10.0.1.0/24 port 0
neigh port 0 $hA_mac
neigh port 1 $(mac $gB b1)
CFG
cat > "$work/gwB.cfg" <<CFG
sa out 2001 aead_algo aes-128-gcm aead_key $key_ba mode ipv4-tunnel src 172.16.0.2 dst 172.16.0.1 type cpu-crypto ipcomp 4097
sa in 1001 aead_algo aes-128-gcm aead_key $key_ab mode ipv4-tunnel src 172.16.0.1 dst 172.16.0.2 type cpu-crypto ipcomp 4096
sp ipv4 out esp protect 2001 pri 1 src 10.0.2.0/24 dst 10.0.1.0/24
sp ipv4 in esp protect 1001 pri 1 src 10.0.1.0/24 dst 10.0.2.0/24
rt ipv4 dst 172.16.0.1/32 port 1
rt ipv4 dst 10.0.2.0/24 port 0
neigh port 0 $(mac $nsB hB0)
neigh port 1 $(mac $gA a1)
CFG
ncpu=$(nproc)
start_gw() {  # start_gw <ns> <name> <port 0 vdev> <if1> <lcore>
  ip netns exec "$1" "$fwd" -l "$5" --no-huge -m 256 --no-pci --no-shconf --file-prefix "dpa_e2e_$2_$id" \
    --log-level lib.eal:warning \
    --vdev "$3" --vdev "net_af_packet1,iface=$4" \
    -- -f "$work/$2.cfg" -p 0x3 -u 0x2 >"$work/$2.log" 2>&1 &
  pids+=($!)
}
if [ $tap_mode = 1 ]; then
  start_gw $gA gwA "net_tap0,iface=$tap,mac=$tap_mac_dpdk" a1 0
else
  start_gw $gA gwA "net_af_packet0,iface=a0" a1 0
fi
start_gw $gB gwB "net_af_packet0,iface=b0" b1 $((ncpu > 1 ? 1 : 0))
for i in $(seq 50); do
  grep -q "worker lcore" "$work/gwA.log" "$work/gwB.log" 2>/dev/null && \
    [ "$(grep -l "worker lcore" "$work/gwA.log" "$work/gwB.log" | wc -l)" = 2 ] && break
  sleep 0.2
done
if [ $tap_mode = 1 ]; then
  # The PMD created the tap in gwA's namespace: give its kernel side the address and MAC the
  # files name, and a route to B's hosts through the gateway (DPDK's side of the tap).
  ip -n $gA link set $tap down
  ip -n $gA link set $tap address $tap_mac_kernel
  ip -n $gA addr add 10.0.1.2/24 dev $tap
  ip -n $gA link set $tap up
  host_setup $gA $tap 10.0.1.1 $tap_mac_dpdk
  check "gwA's port 0 is net_tap's interface $tap" ip -n $gA -o addr show dev $tap to 10.0.1.2/24
fi

check "ping hA -> hB through the tunnel" ip netns exec $nsA ping -c 5 -i 0.2 -W 2 -q 10.0.2.2
check "ping hB -> hA through the tunnel" ip netns exec $nsB ping -c 5 -i 0.2 -W 2 -q 10.0.1.2
check "large ping (1372-byte payload, DF)" ip netns exec $nsA ping -c 3 -s 1372 -M do -W 2 -q 10.0.2.2
head -c 4000000 /dev/urandom > "$work/file"
ip netns exec $nsB timeout 30 nc -l 10.0.2.2 5001 > "$work/received" &
sleep 0.3
ip netns exec $nsA timeout 30 nc -N 10.0.2.2 5001 < "$work/file"
wait $!
check "TCP transfer of 4 MB random bytes, SHA-256 equal" \
  [ "$(sha256sum < "$work/file")" = "$(sha256sum < "$work/received")" ]
seq 1 400000 | sed 's/$/ the quick brown fox jumps over the lazy dog/' > "$work/text"
ip netns exec $nsB timeout 30 nc -l 10.0.2.2 5002 > "$work/received_text" &
sleep 0.3
ip netns exec $nsA timeout 30 nc -N 10.0.2.2 5002 < "$work/text"
wait $!
check "TCP transfer of $(($(stat -c %s "$work/text") / 1000000)) MB text (IPComp'd), SHA-256 equal" \
  [ "$(sha256sum < "$work/text")" = "$(sha256sum < "$work/received_text")" ]

# Counters through rte_telemetry, as an operator reads them.
tele=$(printf '/dpaccel/fwd/stats\n/dpaccel/fwd/sa,0\n/dpaccel/fwd/ports\n' |
       /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "dpa_e2e_gwA_$id" 2>/dev/null)
check "telemetry: dpdk-telemetry.py reads gwA's counters" /usr/bin/python3 -c '
import json, sys
d = [json.loads(l) for l in sys.stdin.read().splitlines() if l.startswith("{")]
st, sa, ports = d[0]["/dpaccel/fwd/stats"], d[1]["/dpaccel/fwd/sa"], d[2]["/dpaccel/fwd/ports"]
assert st["outbound"] > 2000 and st["inbound"] > 300 and st["dropped"] == 0, st
assert sa["spi"] == 1001 and sa["dir"] == "out" and sa["packets"] == st["outbound"] and sa["seq"] >= sa["packets"], sa
assert ports["port0"]["role"] == "protected" and ports["port1"]["tx"] == st["outbound"], ports
# The SPD flow cache (default on) answered the policy lookups of these few flows.
assert st["spd_cache_hits"] + st["spd_cache_misses"] >= st["outbound"] + st["inbound"], st
assert st["spd_cache_misses"] < 200 and st["spd_cache_hits"] > 2000, st
# IPComp: the text went compressed, the random file mostly not (probe or adaptive skip).
assert sa["ipcomp_cpi"] == 4096 and sa["ipcomp_compressed"] > 1000, sa
assert sa["ipcomp_bytes_in"] > 2 * sa["ipcomp_bytes_out"] and float(sa["ipcomp_ratio"]) > 2, sa
assert sa["ipcomp_probed"] + sa["ipcomp_skipped"] > 1000 and sa["ipcomp_failed"] == 0, sa
' <<<"$tele"
tele=$(printf '/dpaccel/fwd/sa,1\n' | /usr/bin/python3 /usr/bin/dpdk-telemetry.py -f "dpa_e2e_gwB_$id" 2>/dev/null)
check "telemetry: gwB decompressed what gwA compressed" /usr/bin/python3 -c '
import json, sys
sa = [json.loads(l) for l in sys.stdin.read().splitlines() if l.startswith("{")][0]["/dpaccel/fwd/sa"]
assert sa["spi"] == 1001 and sa["dir"] == "in" and sa["ipcomp_decompressed"] > 1000, sa
assert sa["ipcomp_arrived_plain"] > 1000 and sa["dropped"] == 0, sa
' <<<"$tele"

for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
for g in gwA gwB; do
  log="$work/$g.log"
  out_pkts=$(awk '/sa out/ {print $6}' "$log")
  in_pkts=$(awk '/sa in/ {print $6}' "$log")
  check "$g: traffic went through both SAs (out $out_pkts, in $in_pkts)" \
    [ $((${out_pkts:-0} + ${in_pkts:-0})) -gt 2500 -a "${out_pkts:-0}" -gt 300 -a "${in_pkts:-0}" -gt 300 ]
  # Nothing dropped except what the kernel may send that no policy covers (none expected here).
  check "$g: no drops" grep -q '^  none$' "$log"
  check "$g: every mbuf back in its pool" grep -q '^mbufs in use at exit: 0$' "$log"
done
if [ $fail -gt 0 ]; then
  for g in gwA gwB; do echo "--- $g"; cat "$work/$g.log"; done
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
