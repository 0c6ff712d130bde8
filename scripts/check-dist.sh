#!/usr/bin/env bash
# dist/ is what GitHub runs: it must be exactly the bundle of the committed sources.
# Used by .ci/run and by .github/workflows/check-dist.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run bundle
if [ -n "$(git status --porcelain -- dist)" ]; then
  git status --short -- dist
  git --no-pager diff --stat -- dist
  echo "dist/ is not the bundle of the committed sources: run 'npm run bundle' and commit dist/." >&2
  exit 1
fi
echo "ok: dist/ is the bundle of the sources"
