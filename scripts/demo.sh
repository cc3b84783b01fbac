#!/usr/bin/env bash
# The quick start's main job. Installs what netkube needs, builds it, starts
# apiserver-lite (HTTPS on 127.0.0.1:6443, SQLite store under
# $NETKUBE_HOME/standalone) and shows real kubectl working against it.
# The server is left running for exploration; the last lines say how to stop it.
#
# (The lab cluster of network namespaces, `netkube up`, takes over this script
# once the node agent lands; see docs/architecture.md for what exists today.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent

NETKUBE_HOME=${NETKUBE_HOME:-$PWD/.netkube}
DATA="$NETKUBE_HOME/standalone"
PORT=${NETKUBE_PORT:-6443}
mkdir -p "$DATA"
export KUBECONFIG="$DATA/kubeconfig"

if [ -f "$DATA/apiserver.pid" ] && kill -0 "$(cat "$DATA/apiserver.pid")" 2>/dev/null; then
  echo "==> apiserver-lite already running (pid $(cat "$DATA/apiserver.pid"))"
else
  echo "==> starting apiserver-lite on https://127.0.0.1:$PORT (data: $DATA)"
  nohup node bin/netkube.js apiserver --data-dir "$DATA" --secure-port "$PORT" >"$DATA/apiserver.log" 2>&1 &
  echo $! >"$DATA/apiserver.pid"
  for _ in $(seq 1 100); do
    grep -q "listening on" "$DATA/apiserver.log" 2>/dev/null && break
    if ! kill -0 "$(cat "$DATA/apiserver.pid")" 2>/dev/null; then cat "$DATA/apiserver.log" >&2; exit 1; fi
    sleep 0.1
  done
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl (>= 1.27) is not installed: the server is up; point any Kubernetes client at $KUBECONFIG" >&2
  exit 0
fi

run() { echo; echo "\$ $*"; "$@"; }
run kubectl version
run kubectl get namespaces
run kubectl create namespace demo --dry-run=client -o yaml
kubectl get namespace demo >/dev/null 2>&1 || kubectl create namespace demo >/dev/null
cat <<'YAML' >"$DATA/web.yaml"
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
YAML
run kubectl apply -f "$DATA/web.yaml"
run kubectl get svc -A -o wide
run kubectl label svc web -n demo tier=frontend --overwrite
run kubectl get svc web -n demo -o jsonpath='{.spec.clusterIP}{" nodePort "}{.spec.ports[0].nodePort}{"\n"}'
echo
echo "\$ kubectl create service clusterip bad --tcp=0:80 -n demo   # validation, as Kubernetes reports it"
kubectl create service clusterip bad --tcp=0:80 -n demo || true
echo
echo "apiserver-lite is running (pid $(cat "$DATA/apiserver.pid")). Try:"
echo "  export KUBECONFIG=$KUBECONFIG"
echo "  kubectl get svc -A -w"
echo "Stop it with: kill \$(cat $DATA/apiserver.pid)"
