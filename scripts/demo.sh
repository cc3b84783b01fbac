#!/usr/bin/env bash
# The quick start's main job. Installs what netkube needs, builds it, and runs
# `netkube demo`: it brings up a lab cluster on this machine (and a second one
# on the same underlay for DNS load balancing across clusters), then walks
# through Service routing, cluster DNS, and sidecar vs DNS load balancing,
# measured, with a report under $NETKUBE_HOME/<lab>/demo/. Then it shows the
# lab with the commands the README quotes. Both labs are left running for
# exploration; the last lines say how to take them down.
# Needs root on Linux (network namespaces); NETKUBE_LAB picks the lab name.
# Extra arguments go to `netkube demo` (e.g. --no-peer, --rate 100, --yes).
set -euo pipefail
cd "$(dirname "$0")/.."
# kubectl only adds the `kubectl get` lines at the end: the demo itself runs without it.
NETKUBE_KUBECTL_OPTIONAL=1 bash scripts/install-deps.sh
npm run build --silent

export NETKUBE_HOME=${NETKUBE_HOME:-$PWD/.netkube}
LAB=${NETKUBE_LAB:-netkube}
netkube() { node bin/netkube.js "$@"; }
run() { echo; echo "\$ $*"; "$@"; }

netkube demo --name "$LAB" "$@"

export KUBECONFIG="$NETKUBE_HOME/$LAB/kubeconfig"
lab_field() { node -e "const c=require(process.argv[1]).config; console.log($1)" "$NETKUBE_HOME/$LAB/lab.json"; }
NODE_NETNS=$(lab_field 'c.nodes[0].netns')
NODE_IP=$(lab_field 'c.nodes[0].ip')
echo
echo "━━━ Exploring the lab by hand ━━━"
if command -v kubectl >/dev/null 2>&1; then
  run kubectl get pods,svc -o wide
  WEB=$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')
else
  echo "(kubectl is not installed: skipping kubectl get)"
  WEB=web.default.svc.cluster.local
fi
run netkube exec --name "$LAB" client -- dig web.default.svc.cluster.local
run netkube exec --name "$LAB" client -- curl -s "http://$WEB/"
run curl -s "http://$NODE_IP:30080/"
run ip netns exec "$NODE_NETNS" iptables -t nat -L KUBE-SERVICES -n
run netkube overlay show --name "$LAB"
echo
echo "The labs are still running. Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  node bin/netkube.js status --name $LAB"
echo "  node bin/netkube.js exec --name $LAB client -- curl -s http://127.0.0.1:15000/stats   # the sidecar's view"
echo "Take them down with: node bin/netkube.js down --name ${LAB:0:16}peer && node bin/netkube.js down --name $LAB"
