#!/usr/bin/env bash
# The stock dpdk-test-compress-perf in verify mode on compress_dpaccel_cpu, loaded with -d:
# it compresses the input with our driver, decompresses the result again and compares.
# Input: the project's own README.md and ARCHITECTURE.md (a text corpus that ships with it).
# Runs levels 1, 6 and 9, dynamic and fixed Huffman, contiguous and chained mbufs, and the
# small-op encoder's sizes (ops up to 1 KiB, contiguous) at every level group and window.
# usage: run_verify.sh path/to/librte_compress_dpaccel_cpu.so
set -uo pipefail
so=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
perf=$(command -v dpdk-test-compress-perf) || { echo "dpdk-test-compress-perf missing (Debian package dpdk)"; exit 1; }
# -d refuses libraries below world-writable directories (e.g. /tmp): use a private copy.
priv=$(mktemp -d "$HOME/.dpaccel-plugin.XXXXXX")
work=$(mktemp -d)
trap 'rm -rf "$priv" "$work"' EXIT
cp "$so" "$priv/"
cat "$top/README.md" "$top/ARCHITECTURE.md" > "$work/corpus.txt"
pass=0 fail=0
run() {  # run <name> <perf args...>
  local name=$1; shift
  local out
  out=$("$perf" -l 0,1 --no-huge -m 512 --no-pci --no-shconf --file-prefix "dpa_cpv_$$" \
        -d "$priv/$(basename "$so")" --vdev compress_dpaccel_cpu0 --log-level lib.eal:warning -- \
        --driver-name compress_dpaccel_cpu --input-file "$work/corpus.txt" --ptest verify \
        --num-iter 2 "$@" 2>&1)
  # verify mode prints the ratio table only when every op succeeded and the data compared equal.
  if grep -q "Comp ratio" <<<"$out" && ! grep -qi "not successful\|not equal\|error" <<<"$out"; then
    echo "PASS $name"; pass=$((pass + 1))
  else
    echo "FAIL $name"; grep -i "USER1\|error" <<<"$out" | head -5; fail=$((fail + 1))
  fi
}
for level in 1 6 9; do
  for huff in dynamic fixed; do
    run "level $level $huff, 2048-byte segments, chained" --compress-level $level --huffman-enc $huff --seg-sz 2048
    run "level $level $huff, 1500-byte ops, contiguous" --compress-level $level --huffman-enc $huff --seg-sz 1500 --max-num-sgl-segs 1
  done
done
run "window 10, 64-byte ops" --compress-level 1 --window-sz 10 --seg-sz 64 --max-num-sgl-segs 1
for level in 1 4 9; do
  run "level $level dynamic, 256-byte ops (small-op encoder)" --compress-level $level --seg-sz 256 --max-num-sgl-segs 1
  run "level $level dynamic, 1024-byte ops (small-op encoder)" --compress-level $level --seg-sz 1024 --max-num-sgl-segs 1
done
run "window 8, 1000-byte ops (small-op encoder)" --compress-level 1 --window-sz 8 --seg-sz 1000 --max-num-sgl-segs 1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
