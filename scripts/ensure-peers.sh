#!/usr/bin/env bash
# Makes sure the real peers the interop tests run are installed; installs what is missing from
# Debian/Ubuntu packages. Idempotent and silent when everything is present (one `command -v` each).
# SPATE_SKIP_PEERS=1 skips the check (a machine that cannot install; the interop tests will fail).
set -euo pipefail

# "command package": the command the tests run, and the Debian package that provides it.
# Extend this list when a test starts using a new peer.
PEERS=(
  "ffmpeg ffmpeg"
  "ffprobe ffmpeg"
  "openssl openssl"
  "srt-live-transmit srt-tools"
  "chromium chromium"
  "redis-server redis-server"
)

[[ "${SPATE_SKIP_PEERS:-}" == "1" ]] && exit 0

missing=()
for peer in "${PEERS[@]}"; do
  read -r cmd pkg <<<"$peer"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "ensure-peers: installing ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-peers: apt-get not found; install these yourself: ${missing[*]}" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
    echo "ensure-peers: not root and no sudo; install these yourself: ${missing[*]}" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() {
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1
}
# A fresh machine has no package lists yet: update only when the install fails.
if ! install; then
  if ! { "${sudo[@]}" apt-get update -q >"$log" 2>&1 && install; }; then
    cat "$log" >&2
    echo "ensure-peers: could not install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "ensure-peers: installed ${missing[*]}" >&2
