#!/usr/bin/env bash
# Re-check the installs that are expected to FAIL on this machine class (no network beyond the
# npm registry), in throw-away temp dirs; nothing is written under bench/.
#   @tensorflow/tfjs-node : its install script downloads libtensorflow from storage.googleapis.com
#   gl (headless-gl)      : optional dep of gpu.js 2.x (brain.js 2.x peer); prebuild-install fetches
#                           from github.com, then node-gyp needs X11/GL dev headers (libxi-dev...)
set -u
for pkg in @tensorflow/tfjs-node@4.22.0 gl@8.1.6; do
  d=$(mktemp -d)
  (cd "$d" && echo '{"name":"probe","private":true}' > package.json &&
    timeout 600 npm install "$pkg" --foreground-scripts --no-audit --no-fund > install.log 2>&1)
  rc=$?
  echo "=== $pkg: npm install exit $rc"
  grep -E "ENOTFOUND|gyp ERR! configure|not found in the pkg-config|Downloading|prebuild-install warn" "$d/install.log" | head -6
  rm -rf "$d"
done
