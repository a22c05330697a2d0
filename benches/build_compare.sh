#!/usr/bin/env bash
# `fluxspec build` of every cluster against its floor: `kubectl kustomize` run once on the path of
# every Flux Kustomization of the example (the roots and each app's), one after another. fluxspec
# also renders the spec, writes the tree, rewrites kustomization.yaml files, substitutes and
# re-serializes every object; it runs its kustomize processes in parallel.
#
# Also timed, for reference: the same kubectl runs two at a time (`xargs -P 2`), the floor for a
# kustomize-based render on two cores.
#
# The three commands run in rounds, in a different order each round, and the figure is the
# median per command: on a machine shared with other work the load drifts, and timing one
# command's runs back to back (as hyperfine does) would charge the drift to whichever ran in the
# busy minutes. With hyperfine installed (apt-get install hyperfine), its back-to-back view is
# printed too, for comparison.
#
# Usage: benches/build_compare.sh [ROUNDS]   (default 15)
# Prints a Markdown table and the ratios; docs/performance.md (`## build`) records one run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-15}

scripts/install-test-tools.sh >/dev/null 2>&1
export PATH="$PWD/.tools/bin:$PATH"
cargo build --release --quiet
fluxspec="$PWD/target/release/fluxspec"
"$fluxspec" check --quiet || {
    echo "generated/ is stale: run fluxspec compile first (the floor builds generated/)" >&2
    exit 2
}

# Every Flux Kustomization path, from the generated Flux Kustomizations themselves.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
grep -h '^  path: ' generated/clusters/*/*.yaml generated/app-flux-kustomizations/*/*/*.yaml |
    awk '{print $2}' | sort -u >"$list"
clusters=$(ls generated/clusters | tr '\n' ' ')

build_all=""
for cluster in $clusters; do
    build_all+="$fluxspec build --cluster $cluster >/dev/null 2>&1 && "
done
build_all+="true"
serial="xargs -n 1 kubectl kustomize <$list >/dev/null"
parallel="xargs -n 1 -P 2 kubectl kustomize <$list >/dev/null"

echo "clusters: $clusters| Flux Kustomization paths: $(wc -l <"$list")" \
    "| $(kubectl version --client 2>/dev/null | awk '/Kustomize/ {print "kustomize " $3}')" \
    "| cores: $(nproc) | load before: $(cut -d' ' -f1-3 /proc/loadavg)"

if command -v hyperfine >/dev/null; then
    hyperfine --style basic --warmup 1 --runs 5 \
        --command-name "fluxspec build (every cluster)" "$build_all" \
        --command-name "kubectl kustomize, every path, serial" "$serial" \
        --command-name "kubectl kustomize, every path, 2 at a time" "$parallel" >&2
fi

python3 - "$rounds" "$build_all" "$serial" "$parallel" <<'EOF'
import statistics, subprocess, sys, time

rounds = int(sys.argv[1])
commands = {
    "fluxspec build (every cluster)": sys.argv[2],
    "kubectl kustomize, every path, serial": sys.argv[3],
    "kubectl kustomize, every path, 2 at a time": sys.argv[4],
}
names = list(commands)
times = {name: [] for name in names}
for name in names:  # warm-up: caches, page cache
    subprocess.run(commands[name], shell=True, check=True)
for round in range(rounds):
    order = names[round % 3:] + names[:round % 3]
    for name in order:
        start = time.perf_counter()
        subprocess.run(commands[name], shell=True, check=True)
        times[name].append(time.perf_counter() - start)

print(f"\n{rounds} interleaved rounds:\n")
print("| command | median | mean ± σ | min | max |")
print("| --- | ---: | ---: | ---: | ---: |")
for name in names:
    t = times[name]
    print(f"| {name} | {statistics.median(t):.3f} s | {statistics.mean(t):.3f} ± "
          f"{statistics.stdev(t):.3f} s | {min(t):.3f} s | {max(t):.3f} s |")
build, serial, parallel = (statistics.median(times[name]) for name in names)
ratios = sorted(b / s for b, s in zip(times[names[0]], times[names[1]]))
print(f"\nbuild / serial floor: {build / serial:.2f}x (ratio of medians; per round: median "
      f"{statistics.median(ratios):.2f}x, range {ratios[0]:.2f}x to {ratios[-1]:.2f}x); "
      f"target <= 1.2x")
print(f"build / two-at-a-time floor: {build / parallel:.2f}x")
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
