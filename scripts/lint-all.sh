#!/usr/bin/env bash
# The style checks, all three, each timed: Prettier (formatting), ESLint (mistakes, lines over 120
# characters, import cycles), knip (unused exports, files and dependencies). Runs every check even
# when an earlier one fails, then exits non-zero if any found something. `npm run check` runs it.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
run() {
  local name=$1
  shift
  echo "== $name: $*"
  local t0=$SECONDS
  if "$@"; then
    echo "== $name: ok ($((SECONDS - t0)) s)"
  else
    echo "== $name: FAILED ($((SECONDS - t0)) s)"
    failed+=("$name")
  fi
}

run format:check npx prettier --check --log-level warn .
run lint npx eslint .
run lint:exports npx knip

if ((${#failed[@]})); then
  echo "lint-all: ${#failed[@]} of 3 checks failed: ${failed[*]}"
  exit 1
fi
echo 'lint-all: 3 of 3 checks passed'
