#!/usr/bin/env bash
# The quick start's main job. Installs what netkube needs, builds it, brings
# up a lab cluster on this machine (`netkube up`: API server, underlay, node
# namespaces with their agents), runs a small web Deployment behind a
# Service, and shows it working with kubectl and `netkube exec`.
# The lab is left running for exploration; the last lines say how to stop it.
# Needs root on Linux (network namespaces); NETKUBE_LAB picks the lab name.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent

export NETKUBE_HOME=${NETKUBE_HOME:-$PWD/.netkube}
LAB=${NETKUBE_LAB:-netkube}
netkube() { node bin/netkube.js "$@"; }
run() { echo; echo "\$ $*"; "$@"; }

if netkube status --name "$LAB" >/dev/null 2>&1; then
  echo "==> lab \"$LAB\" is already up"
else
  netkube up --name "$LAB"
fi
export KUBECONFIG="$NETKUBE_HOME/$LAB/kubeconfig"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl (>= 1.27) is not installed: the lab is up; try: node bin/netkube.js status --name $LAB" >&2
  exit 0
fi

run kubectl get nodes -o wide
cat <<'YAML' >"$NETKUBE_HOME/$LAB/demo.yaml"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: netkube/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec:
  containers: [{name: tools, image: netkube/toolbox}]
YAML
run kubectl apply -f "$NETKUBE_HOME/$LAB/demo.yaml"
kubectl wait --for=condition=Ready pod -l app=web --timeout=60s >/dev/null
kubectl wait --for=condition=Ready pod/client --timeout=60s >/dev/null
run kubectl get pods -o wide
run kubectl get svc,endpointslices
WEB=$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')
run netkube exec --name "$LAB" client -- cat /etc/resolv.conf
echo
echo "\$ netkube exec client -- curl -s http://$WEB/   # three times: the Service spreads them over both pods"
for _ in 1 2 3; do netkube exec --name "$LAB" client -- curl -s -m 3 "http://$WEB/" | grep -E '^pod:' || true; done
run netkube exec --name "$LAB" client -- dig +search +short web
echo
echo "\$ netkube exec client -- curl -s http://web.default/   # by name: cluster DNS at 10.96.0.10, then the proxy"
netkube exec --name "$LAB" client -- curl -s -m 3 http://web.default/ | grep -E '^pod:' || true
run ip netns exec "$(node -p "require('$NETKUBE_HOME/$LAB/lab.json').config.nodes[0].netns" 2>/dev/null || echo nk-$LAB-node-1)" iptables -t nat -L KUBE-SERVICES -n
run netkube status --name "$LAB"
echo
echo "lab \"$LAB\" is running. Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  node bin/netkube.js exec client -- ping -c1 <a web pod IP>"
echo "Stop it with: node bin/netkube.js down --name $LAB"
