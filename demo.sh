#!/usr/bin/env bash
# Builds everything, starts one node on an embedded RocksDB in a temp home, installs the kv-store
# app, creates a context, calls set then get through meroctl, prints the value and stops the node.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

./scripts/build-apps.sh
dotnet build Mero.slnx -c Release -nologo -v quiet

merod() { dotnet src/merod/bin/Release/net10.0/merod.dll "$@"; }
meroctl() { dotnet src/meroctl/bin/Release/net10.0/meroctl.dll "$@"; }

home=$(mktemp -d /tmp/mero-demo.XXXXXX)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid"; wait "$node_pid" || true
  fi
  rm -rf "$home"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=2528
while ! port_free "$port"; do port=$((port + 1)); done

echo "==> merod init (home $home, port $port)"
merod --home "$home" --node node1 init --server-port "$port"
# Not through the merod function: a backgrounded function is a subshell, and stopping that
# would leave the node running as an orphan. A plain command makes $! the node itself.
dotnet src/merod/bin/Release/net10.0/merod.dll --home "$home" --node node1 run > "$home/node1.log" 2>&1 &
node_pid=$!

for _ in $(seq 1 150); do
  if meroctl --home "$home" --node node1 health > /dev/null 2>&1; then break; fi
  if ! kill -0 "$node_pid" 2>/dev/null; then cat "$home/node1.log"; exit 1; fi
  sleep 0.2
done

# Reads one field of the JSON document on stdin (Node.js is already required for the app build).
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }
ctl() { meroctl --home "$home" --node node1 "$@"; }

echo "==> meroctl app install"
app_id=$(ctl --output-format json app install --path "$PWD/apps/kv-store/build/kv-store.wasm" | field applicationId)
echo "    application $app_id"

echo "==> meroctl context create"
context_id=$(ctl --output-format json context create --application-id "$app_id" | field contextId)
echo "    context $context_id"

echo "==> meroctl call set"
ctl call set --context "$context_id" --args '{"key":"greeting","value":"hello from mero"}'

echo "==> meroctl call get"
value=$(ctl --output-format json call get --context "$context_id" --args '{"key":"greeting"}' | field output)
echo "    value: $value"
ctl context ls

[ "$value" = "hello from mero" ] || { echo "demo: unexpected value '$value'" >&2; exit 1; }
echo "==> stopping the node"
# SIGTERM, as a service manager stops it (a script's background job inherits SIGINT ignored);
# .NET reports a clean stop on SIGTERM as exit status 143.
kill -TERM "$node_pid"; wait "$node_pid" || [ $? -eq 143 ]
if kill -0 "$node_pid" 2>/dev/null; then echo "demo: the node did not stop" >&2; exit 1; fi
node_pid=""
echo "demo OK"
