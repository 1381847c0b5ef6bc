#!/usr/bin/env bash
# Runs DPDK's stock dpdk-test-crypto-perf in verify mode (--ptest verify) on one of our crypto
# drivers, loaded with -d, over the project's known-answer vector files (vectors/, see write_vectors.py),
# encrypting and decrypting. Every case must enqueue and dequeue all ops with 0 failed ops.
# A corrupted copy of a vector must be reported as failing (the check itself can fail).
#
#   run_verify.sh <driver .so[:more .so]> [driver name] [devargs] [other vdevs, ';'-separated]
#   (default driver crypto_dpaccel_cpu; e.g. crypto_dpaccel_worker corelist=0)
set -uo pipefail
sos=${1:?usage: run_verify.sh <librte_crypto_....so[:...]> [driver] [devargs] [vdevs]}
drv=${2:-crypto_dpaccel_cpu}
devargs=${3:-}
others=${4:-}
vdev="${drv}0${devargs:+,$devargs}"
here=$(cd "$(dirname "$0")" && pwd)
vec="$here/vectors"
perf=$(command -v dpdk-test-crypto-perf) || { echo "dpdk-test-crypto-perf not found (package dpdk)"; exit 1; }

# -d refuses a library below any world-writable directory (/tmp...): copy it somewhere private.
priv=$(mktemp -d "${HOME:-/root}/.dpaccel-plugin.XXXXXX")
trap 'rm -rf "$priv"' EXIT
eal=()
IFS=: read -r -a solist <<<"$sos"
for so in "${solist[@]}"; do
  cp "$so" "$priv/"
  eal+=(-d "$priv/$(basename "$so")")
done
IFS=';' read -r -a otherlist <<<"$others"
for v in "${otherlist[@]}"; do [ -n "$v" ] && eal+=(--vdev "$v"); done

pass=0 fail=0
run() {  # run <expect: ok|fail> <vector name> <options...>
  local expect=$1 name=$2; shift 2
  local file="$vec/$name.data"
  [ -n "${VECTOR_OVERRIDE:-}" ] && file=$VECTOR_OVERRIDE
  local out
  out=$(timeout 120 "$perf" -l 0,1 --no-huge -m 256 --no-pci --file-prefix "dpaccel-verify-$$" \
        --log-level=lib.eal:error "${eal[@]}" --vdev "$vdev" -- \
        --devtype "$drv" --ptest verify --test-file "$file" --test-name "$name" \
        --total-ops 512 --burst-sz 32 "$@" 2>&1)
  local rc=$?
  # Result row: lcore, size, burst, enqueued, dequeued, failed enq, failed deq, failed ops
  local row; row=$(printf '%s\n' "$out" | awk 'NF==8 && $1 ~ /^[0-9]+$/ {print; exit}')
  local ok=no
  if [ $rc -eq 0 ] && [ -n "$row" ]; then
    read -r _ _ _ enq deq fenq fdeq fops <<<"$row"
    # "Failed Enq/Deq" count short enqueue/dequeue calls that were retried (normal for an
    # asynchronous device), not lost ops: every op must come back and verify.
    [ "$enq" = 512 ] && [ "$deq" = 512 ] && [ "$fops" = 0 ] && ok=yes
    : "$fenq" "$fdeq"
  fi
  local what="$name ${*: -2}"
  if { [ $expect = ok ] && [ $ok = yes ]; } || { [ $expect = fail ] && [ $ok = no ]; }; then
    echo "PASS  $what${expect:+ (expected $expect)}"; pass=$((pass + 1))
  else
    echo "FAIL  $what (expected $expect; rc=$rc; row: ${row:-none})"
    printf '%s\n' "$out" | tail -15 | sed 's/^/      /'
    fail=$((fail + 1))
  fi
}

aead() { echo --optype aead --aead-algo "$1" --aead-key-sz "$2" --aead-iv-sz 12 --aead-aad-sz "$3" --digest-sz 16 --buffer-sz "$4"; }
for op in encrypt decrypt; do
  run ok aes_gcm_128_tc4 $(aead aes-gcm 16 20 60) --aead-op $op
  run ok aes_gcm_256_tc16 $(aead aes-gcm 32 20 60) --aead-op $op
  run ok chacha20_poly1305_rfc8439 $(aead chacha20-poly1305 32 12 114) --aead-op $op
  run ok aes_cbc_128_rfc3602 --optype cipher-only --cipher-algo aes-cbc --cipher-key-sz 16 \
      --cipher-iv-sz 16 --buffer-sz 32 --cipher-op $op
  run ok aes_ctr_128_rfc3686 --optype cipher-only --cipher-algo aes-ctr --cipher-key-sz 16 \
      --cipher-iv-sz 16 --buffer-sz 16 --cipher-op $op
done
for op in generate verify; do
  run ok hmac_sha1_rfc2202 --optype auth-only --auth-algo sha1-hmac --auth-key-sz 4 --digest-sz 20 \
      --buffer-sz 28 --auth-op $op
  run ok hmac_sha256_rfc4231 --optype auth-only --auth-algo sha2-256-hmac --auth-key-sz 4 \
      --digest-sz 32 --buffer-sz 28 --auth-op $op
done

# Negative control: one flipped ciphertext bit and one flipped tag bit must fail verification.
bad="$priv/bad.data"
flip() {  # flip <key> <first byte> <new first byte>: corrupt the first byte of a value
  /usr/bin/python3 -c 'import sys; s=open(sys.argv[1]).read(); k=sys.argv[2]+" =\n"+sys.argv[3]
print(s.replace(k, sys.argv[2]+" =\n"+sys.argv[4], 1), end="")' "$vec/aes_gcm_128_tc4.data" "$@"
}
flip ciphertext 0x42 0x43 > "$bad"
cmp -s "$bad" "$vec/aes_gcm_128_tc4.data" && { echo "FAIL  negative control: corruption did not apply"; exit 1; }
VECTOR_OVERRIDE=$bad run fail aes_gcm_128_tc4 $(aead aes-gcm 16 20 60) --aead-op encrypt
flip digest 0x5b 0x5a > "$bad"
cmp -s "$bad" "$vec/aes_gcm_128_tc4.data" && { echo "FAIL  negative control: corruption did not apply"; exit 1; }
VECTOR_OVERRIDE=$bad run fail aes_gcm_128_tc4 $(aead aes-gcm 16 20 60) --aead-op decrypt

# The other two modes of the stock app must run too (figures are for the benchmarks, not here).
for mode in throughput latency; do
  out=$(timeout 120 "$perf" -l 0,1 --no-huge -m 256 --no-pci --file-prefix "dpaccel-verify-$$" \
        --log-level=lib.eal:error "${eal[@]}" --vdev "$vdev" -- \
        --devtype "$drv" --ptest $mode --total-ops 20000 --burst-sz 32 \
        $(aead aes-gcm 16 8 64) --aead-op encrypt 2>&1)
  # throughput prints a row "lcore size burst enqueued dequeued ..."; latency a table of totals
  if [ $? -eq 0 ] && printf '%s\n' "$out" | grep -Eq '^ *[0-9]+ +64 +32 +20000 +20000 |dequeued[[:space:]]+20000[[:space:]]'; then
    echo "PASS  --ptest $mode runs"; pass=$((pass + 1))
  else
    echo "FAIL  --ptest $mode"; printf '%s\n' "$out" | tail -8 | sed 's/^/      /'; fail=$((fail + 1))
  fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
