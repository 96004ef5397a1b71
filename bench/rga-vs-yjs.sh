#!/usr/bin/env bash
# Replays one sequential editing trace through our RgaText and through Yjs, in the same run,
# and prints both result lines and the ratios (yjs_ms/our_ms: speed-up; our_bytes/yjs_bytes).
# Usage: bench/rga-vs-yjs.sh FILE.json.gz [--runs N]
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 FILE.json.gz [--runs N]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
file="$(realpath "$1")"
shift

if ! log="$(dotnet build "$here/Mero.Bench/Mero.Bench.csproj" -c Release --nologo 2>&1)"; then
  echo "$log" >&2
  exit 1
fi
if [[ ! -d "$here/yjs/node_modules/yjs" ]]; then
  (cd "$here/yjs" && npm ci --no-audit --no-fund >&2)
fi

ours="$(dotnet "$here/Mero.Bench/bin/Release/net10.0/Mero.Bench.dll" rga-trace "$file" "$@")"
yjs="$(node "$here/yjs/trace.mjs" "$file" "$@")"
echo "mero: $ours"
echo "yjs:  $yjs"

OURS="$ours" YJS="$yjs" node -e '
  const o = JSON.parse(process.env.OURS), y = JSON.parse(process.env.YJS)
  const r = (x) => Math.round(x * 100) / 100
  console.log(JSON.stringify({ speedup: r(y.ms / o.ms), bytes_ratio: r(o.bytes / y.bytes), ok: o.ok && y.ok }))
'
