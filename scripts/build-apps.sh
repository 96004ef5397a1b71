#!/usr/bin/env bash
# Builds every AssemblyScript app under apps/ with the guest SDK.
#
#   scripts/build-apps.sh            # build all apps
#   scripts/build-apps.sh kv-store   # build only the named apps
#
# An app is a folder apps/<name>/ with an entry file assembly/index.ts; it is
# compiled to apps/<name>/build/<name>.wasm. Installs the pinned compiler from
# sdk/assemblyscript/package-lock.json (npm ci) when node_modules is missing or
# the lock file changed since the last install. Runs from any directory, is
# idempotent, and exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK="$ROOT/sdk/assemblyscript"
STAMP="$SDK/node_modules/.mero-install-stamp"
ASC="$SDK/node_modules/assemblyscript/bin/asc.js"

# serialise concurrent runs on the same checkout (npm ci and the outputs are shared)
if command -v flock >/dev/null; then
  exec 9>"${TMPDIR:-/tmp}/mero-build-apps-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).lock"
  flock 9
fi

command -v node >/dev/null || { echo "build-apps: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "build-apps: npm is not installed" >&2; exit 1; }

lock_hash() {
  cat "$SDK/package-lock.json" "$SDK/package.json" | sha256sum | cut -d' ' -f1
}

want="$(lock_hash)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ ! -d "$SDK/node_modules" || ! -f "$ASC" || "$want" != "$have" ]]; then
  echo "build-apps: npm ci in sdk/assemblyscript"
  (cd "$SDK" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$STAMP"
fi

# Compiler options shared by every app (and by the SDK's own tests, which read
# them from sdk/assemblyscript/asc-options.txt).
mapfile -t ASC_OPTS < <(grep -v '^\s*#' "$SDK/asc-options.txt" | grep -v '^\s*$')

# asc names internal paths relative to the working directory; the abort alias
# in asc-options.txt (sdk/assemblyscript/assembly/abort/__mero_abort) needs the
# repository root.
cd "$ROOT"

if [[ $# -gt 0 ]]; then
  apps=("$@")
else
  apps=()
  for dir in apps/*/; do
    name="$(basename "$dir")"
    [[ -f "apps/$name/assembly/index.ts" ]] && apps+=("$name")
  done
fi

if [[ ${#apps[@]} -eq 0 ]]; then
  echo "build-apps: no apps found under apps/*/assembly/index.ts" >&2
  exit 1
fi

outputs=()
for name in "${apps[@]}"; do
  entry="apps/$name/assembly/index.ts"
  [[ -f "$entry" ]] || { echo "build-apps: $entry not found" >&2; exit 1; }
  out="apps/$name/build/$name.wasm"
  mkdir -p "apps/$name/build"
  echo "build-apps: $entry -> $out"
  # a failed build must not leave the previous .wasm behind
  rm -f "$out" "$out.tmp"
  node "$ASC" "$entry" -o "$out.tmp" "${ASC_OPTS[@]}"
  mv -f "$out.tmp" "$out"
  outputs+=("$out")
done

# every module must satisfy the host ABI (imports, exports, signatures)
node "$SDK/scripts/check-wasm.mjs" "${outputs[@]}"
