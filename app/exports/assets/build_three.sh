#!/usr/bin/env bash
# Rebuild three.min.js, the viewer's vendored copy of three.js (MIT, LICENSE-three.txt), from the npm registry:
# the classes three-entry.js names, tree-shaken and minified by esbuild into one script that defines `THREE`.
#   bash app/exports/assets/build_three.sh
set -euo pipefail
THREE_VERSION=0.187.0
ESBUILD_VERSION=0.25.12
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "three@$THREE_VERSION" "esbuild@$ESBUILD_VERSION"
cp "$here/three-entry.js" entry.js
npx esbuild entry.js --bundle --minify --format=iife --global-name=THREE --legal-comments=eof \
  --outfile=three.min.js --log-level=warning
if grep -qi "</script" three.min.js; then echo "three.min.js contains </script: cannot be inlined" >&2; exit 1; fi
{ echo "/* three.js r${THREE_VERSION#0.} (MIT, see LICENSE-three.txt): the parts named in three-entry.js, built by build_three.sh */"
  cat three.min.js; } > "$here/three.min.js"
cp node_modules/three/LICENSE "$here/LICENSE-three.txt"
echo "wrote $here/three.min.js ($(wc -c < "$here/three.min.js") bytes)"
