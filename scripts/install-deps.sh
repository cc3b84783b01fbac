#!/usr/bin/env bash
# Installs what netkube needs on a fresh Debian/Ubuntu machine: the system
# packages in scripts/system-packages.txt (apt-get update once, only when
# something is missing) and the npm dependencies pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "netkube: installing system packages needs root (run as root or with sudo)" >&2
    exit 1
  fi
}

mapfile -t packages < <(grep -v '^\s*#' scripts/system-packages.txt | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  need_root
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1; then
  echo "netkube: Node.js >= 20 is required (https://nodejs.org or your distribution's nodejs package)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "netkube: Node.js >= 20 is required, found $(node --version)" >&2
  exit 1
fi

# kubectl >= 1.27: the tests drive apiserver-lite with the real kubectl, and demo.sh shows the lab with it.
# Debian's own kubernetes-client (1.20) is too old; a configured Kubernetes apt repository
# (pkgs.k8s.io, or Google Cloud's) provides the `kubectl` package, which is installed when it is missing.
kubectl_minor() { kubectl version --client -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(parseInt(JSON.parse(s).clientVersion.minor,10)||0)}catch{console.log(0)}})'; }
if ! command -v kubectl >/dev/null 2>&1 && apt-cache policy kubectl 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
  need_root
  echo "==> apt-get install kubectl"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null
fi
if ! command -v kubectl >/dev/null 2>&1 || [ "$(kubectl_minor)" -lt 27 ]; then
  echo "netkube: kubectl >= 1.27 is needed (found: $(kubectl version --client 2>/dev/null | head -1 || echo none)); see https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ (Kubernetes' apt repository pkgs.k8s.io)" >&2
  [ "${NETKUBE_KUBECTL_OPTIONAL:-}" = 1 ] || exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
