#!/usr/bin/env bash
# Measures fluxspec (release build) against the disk's floor on the same output tree, prints the
# ratios and writes them to docs/performance.md (its "compile and check" section). At each size
# (default 1000 and 10 000 apps x 3 clusters):
#   - cold compile vs `cp -r` of the finished tree into an empty directory;
#   - no-op `check` and no-op `compile` vs `b3sum` of every output file;
#   - a compile after one version bump in one cluster vs a no-op compile;
#   - peak RSS of compile and check against 2 x the tree's bytes + 30 MB;
# then the CPU time per app (the steadier figure on a shared machine) at 10 000 against 1000 (compile, check, `versions`), and `versions` at
# VERSIONS_APPS (default 30 000) against 1000: nothing quadratic left.
# Timings are medians: hyperfine's when it is installed (`apt-get install hyperfine`), else of
# repeated runs timed here. Page cache is warm for fluxspec and the floor alike. Each timing is
# given as wall time and as CPU time (user + system, means): on a shared machine the second is the
# steadier one. fluxspec and its floor are measured back to back at each step, so a busy minute
# weighs on both.
#
# Each size is its own repository (a `.git` directory marks its root), so `output-path` puts the
# output at `generated/` beside `spec/`; the cold compiles write into a second copy of it.
#
# No directory is deleted while measuring: on ext4 without a journal (as on the CI machines) the
# inode allocator skips inodes freed in the last minutes, so creating files right after deleting
# thousands gets quadratically slow and would time the deletion, not the creation. Outputs to be
# replaced are moved into a trash directory instead, emptied at the end.
#
# Usage: benches/compare.sh            (about 15 minutes on a 2-core machine)
# Environment: RUNS (timed runs per measurement, default 5; at most 3 at 10 000 apps),
#              SIZES (default "1000 10000"), VERSIONS_APPS (default 30000; empty to skip),
#              COMPARE_DIR (scratch, default target/compare).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$repo/.tools/bin:$PATH"

runs=${RUNS:-5}
sizes=${SIZES:-1000 10000}
versions_apps=${VERSIONS_APPS-30000}
clusters=3
work=${COMPARE_DIR:-$repo/target/compare}
doc=$repo/docs/performance.md

# --- Tools -------------------------------------------------------------------------------------
if ! command -v b3sum >/dev/null; then
    echo "b3sum: installing into .tools" >&2
    cargo install --locked --quiet --root .tools b3sum
fi
if [ ! -x /usr/bin/time ]; then
    echo "/usr/bin/time: installing Debian's time package" >&2
    apt-get install -y -qq time >/dev/null
fi
have_hyperfine=false
command -v hyperfine >/dev/null && have_hyperfine=true

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$repo/target}/release/fluxspec

# --- Measuring ---------------------------------------------------------------------------------

# median_of NUMBERS...: the median (mean of the middle two for an even count).
median_of() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure RUNS PREPARE COMMAND: prints "WALL CPU": the median wall time and the mean CPU time
# (user + system) of COMMAND in seconds. PREPARE runs untimed before every run of COMMAND; both
# are shell snippets.
measure() {
    local n=$1 prepare=$2 command=$3
    if $have_hyperfine; then
        local csv=$work/hyperfine.csv
        hyperfine --style none --warmup 1 --runs "$n" --prepare "$prepare" \
            --export-csv "$csv" "$command" >/dev/null
        # Columns: command,mean,stddev,median,user,system,min,max.
        awk -F, 'NR == 2 { print $4, $5 + $6 }' "$csv"
    else
        local walls=() cpus=() sample
        bash -c "$prepare" && bash -c "$command" # warm-up
        for _ in $(seq "$n"); do
            bash -c "$prepare"
            sample=$(/usr/bin/time -f '%e %U %S' bash -c "$command" 2>&1 >/dev/null | tail -1)
            walls+=("${sample%% *}")
            cpus+=("$(awk '{ print $2 + $3 }' <<<"$sample")")
        done
        echo "$(median_of "${walls[@]}") $(median_of "${cpus[@]}")"
    fi
}

# rotate DIR: a shell snippet that moves DIR, if present, into the trash (see the top).
rotate() { echo "[ ! -e $1 ] || mv $1 $work/trash/\$(date +%s%N)"; }

# peak_rss_kib COMMAND: the maximum resident set size of one run of COMMAND, in KiB.
peak_rss_kib() {
    /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# ms SECONDS: milliseconds to one decimal.
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
# verdict RATIO LIMIT: "yes" when RATIO <= LIMIT.
verdict() { awk -v r="$1" -v l="$2" 'BEGIN { print (r <= l) ? "yes" : "**no**" }'; }

# setup APPS: a repository for APPS apps in $work/APPS: the synthetic spec in spec/, compiled into
# generated/; and a copy of it in cold/ whose output the cold compiles write.
setup() {
    local dir=$work/$1
    mkdir -p "$dir/.git" "$dir/cold/.git"
    "$bin" synth --apps "$1" --clusters "$clusters" "$dir/spec"
    cp -r "$dir/spec" "$dir/cold/spec"
    "$bin" compile -q --spec "$dir/spec/homelab.kdl"
}

# A previous run's scratch goes too, but only at the end.
old_work=""
if [ -e "$work" ]; then
    old_work=$work.old.$$
    mv "$work" "$old_work"
fi
mkdir -p "$work/trash"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "fluxspec: $bin; hyperfine: $have_hyperfine; runs: $runs" >&2

# row NAME FLUXSPEC_WALL FLOOR_WALL FLUXSPEC_CPU FLOOR_CPU LIMIT: one row of a comparison table.
row() {
    local r c
    r=$(ratio "$2" "$3")
    c=$(ratio "$4" "$5")
    echo "| $1 | $(ms "$2") / $(ms "$4") ms | $(ms "$3") / $(ms "$5") ms | $r | $c | <= $6 | $(verdict "$r" "$6") | $(verdict "$c" "$6") |"
}

# per_app SECONDS APPS: microseconds per app.
per_app() { awk -v t="$1" -v a="$2" 'BEGIN { printf "%.1f", t / a * 1e6 }'; }
# mib BYTES: mebibytes to one decimal.
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

tables=""
size_rows=""
declare -A cold_us check_us noop_us versions_us
for apps in $sizes; do
    echo "== $apps apps" >&2
    setup "$apps"
    dir=$work/$apps
    spec=$dir/spec/homelab.kdl
    out=$dir/generated
    n=$runs
    [ "$apps" -ge 10000 ] && n=$((runs < 3 ? runs : 3))
    fs="$bin compile -q --spec $spec"
    find "$out" -type f -print0 >"$work/files"
    files=$(tr -cd '\0' <"$work/files" | wc -c)
    tree_bytes=$(find "$out" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

    echo "measuring cold compile and cp -r" >&2
    read -r cold cold_cpu < <(measure "$n" "$(rotate "$dir/cold/generated")" "$bin compile -q --spec $dir/cold/spec/homelab.kdl")
    read -r cp_r cp_r_cpu < <(measure "$n" "$(rotate "$dir/copy")" "cp -r $out $dir/copy")

    echo "measuring no-op check, no-op compile and b3sum" >&2
    read -r check check_cpu < <(measure "$n" "true" "$bin check -q --spec $spec")
    read -r b3 b3_cpu < <(measure "$n" "true" "xargs -0 -a $work/files b3sum >/dev/null")
    read -r noop noop_cpu < <(measure "$n" "true" "$fs")

    echo "measuring bump and no-op compile" >&2
    # The bump edits app00000's version in cluster c0 (see src/synth.rs); the untimed step before
    # each run restores the old version and compiles it, so every timed compile follows one bump.
    grep -q 'version "1.0.1" cluster="c0"' "$spec"
    cp "$spec" "$work/before.kdl"
    sed '0,/version "1.0.1" cluster="c0"/s//version "1.0.2" cluster="c0"/' "$spec" >"$work/after.kdl"
    [ "$(diff "$work/before.kdl" "$work/after.kdl" | grep -c '^>')" = 1 ]
    read -r bump bump_cpu < <(measure "$n" "cp $work/before.kdl $spec && $fs && cp $work/after.kdl $spec" "$fs")
    cp "$work/before.kdl" "$spec"
    $fs
    read -r noop2 noop2_cpu < <(measure "$n" "true" "$fs")
    "$bin" check -q --spec "$spec"

    echo "measuring versions and peak RSS" >&2
    read -r _ versions < <(measure "$n" "true" "$bin versions --spec $spec >/dev/null")
    rss_cold=$(peak_rss_kib "$(rotate "$dir/cold/generated"); $bin compile -q --spec $dir/cold/spec/homelab.kdl")
    rss_check=$(peak_rss_kib "$bin check -q --spec $spec")
    rss_noop=$(peak_rss_kib "$fs")
    limit_kib=$(((2 * tree_bytes) / 1024 + 30 * 1024))

    cold_us[$apps]=$(per_app "$cold_cpu" "$apps")
    check_us[$apps]=$(per_app "$check_cpu" "$apps")
    noop_us[$apps]=$(per_app "$noop_cpu" "$apps")
    versions_us[$apps]=$(per_app "$versions" "$apps")
    tables+="| $apps apps x $clusters clusters ($files files, $(mib "$tree_bytes") MiB) | fluxspec wall / CPU | floor wall / CPU | wall ratio | CPU ratio | target | met (wall) | met (CPU) |"$'\n'
    tables+="| --- | --- | --- | --- | --- | --- | --- | --- |"$'\n'
    tables+="$(row "cold compile vs \`cp -r\` of the tree" "$cold" "$cp_r" "$cold_cpu" "$cp_r_cpu" 2.0)"$'\n'
    tables+="$(row "no-op \`check\` vs \`b3sum\` of every file" "$check" "$b3" "$check_cpu" "$b3_cpu" 2.0)"$'\n'
    tables+="$(row "no-op \`compile\` vs \`b3sum\` of every file" "$noop" "$b3" "$noop_cpu" "$b3_cpu" 2.0)"$'\n'
    tables+="$(row "compile after one bump vs no-op compile" "$bump" "$noop2" "$bump_cpu" "$noop2_cpu" 1.1)"$'\n\n'
    rss=$rss_cold
    for r in $rss_check $rss_noop; do [ "$r" -gt "$rss" ] && rss=$r; done
    size_rows+="| $apps | $files | $(mib "$tree_bytes") MiB"
    size_rows+=" | $((rss_cold / 1024)) / $((rss_check / 1024)) / $((rss_noop / 1024)) MiB | $((limit_kib / 1024)) MiB | $(verdict "$rss" "$limit_kib") |"$'\n'
    # This size's scratch is no longer needed: into the trash, emptied at the end.
    mv "$dir" "$work/trash/$apps"
done

# linear NAME SMALL_US LARGE_US LIMIT: one row of the linearity table.
linear() {
    local r
    r=$(ratio "$3" "$2")
    echo "| $1 | $2 µs | $3 µs | $r | <= $4 | $(verdict "$r" "$4") |"
}
linear_rows=""
if [ -n "${cold_us[1000]:-}" ] && [ -n "${cold_us[10000]:-}" ]; then
    linear_rows+="$(linear "cold compile, 10 000 vs 1000" "${cold_us[1000]}" "${cold_us[10000]}" 1.2)"$'\n'
    linear_rows+="$(linear "no-op check, 10 000 vs 1000" "${check_us[1000]}" "${check_us[10000]}" 1.2)"$'\n'
    linear_rows+="$(linear "no-op compile, 10 000 vs 1000" "${noop_us[1000]}" "${noop_us[10000]}" 1.2)"$'\n'
    linear_rows+="$(linear "\`versions\`, 10 000 vs 1000" "${versions_us[1000]}" "${versions_us[10000]}" 1.2)"$'\n'
fi
if [ -n "$versions_apps" ] && [ -n "${versions_us[1000]:-}" ]; then
    echo "== versions at $versions_apps apps" >&2
    "$bin" synth --apps "$versions_apps" --clusters "$clusters" "$work/trash/$versions_apps/spec"
    read -r _ versions_big < <(measure 3 "true" "$bin versions --spec $work/trash/$versions_apps/spec/homelab.kdl >/dev/null")
    linear_rows+="$(linear "\`versions\`, $versions_apps vs 1000" "${versions_us[1000]}" "$(per_app "$versions_big" "$versions_apps")" 1.5)"$'\n'
fi

# --- Report ------------------------------------------------------------------------------------
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
fstype=$(stat -f -c %T "$work")
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- src Cargo.toml Cargo.lock || commit+=" + uncommitted changes"
tools="hyperfine: $($have_hyperfine && hyperfine --version | cut -d' ' -f2 || echo "absent, medians timed by the script"); $(b3sum --version)"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report=$(
    cat <<EOF
${tables}| linearity (CPU time per app) | 1000 apps | more apps | ratio | target | met |
| --- | --- | --- | --- | --- | --- |
${linear_rows}
| apps (x $clusters clusters) | files | tree | peak RSS cold compile / check / no-op compile | limit (2 x tree + 30 MB) | met |
| --- | --- | --- | --- | --- | --- |
${size_rows}
EOF
)

echo
echo "$report"

# The page may hold other scripts' sections: this one replaces its own, from its heading to the
# next `## ` heading, or appends it.
heading="## compile and check"
cat >"$work/section.md" <<EOF
$heading

\`fluxspec compile\` and \`fluxspec check\` against the disk's floor: writing the tree once
(\`cp -r\`) and reading and hashing it once (\`b3sum\`). Written by \`benches/compare.sh\`; rerun it
to refresh this section. Per-stage timings (parse + resolve, render, compiles, check) come from
\`cargo bench --bench pipeline\`.

Synthetic specs from \`fluxspec synth --apps N --clusters $clusters\`. Times are medians of $runs
runs (at most 3 at 10 000 apps) with a warm page cache, for fluxspec and the floor alike.

- Command: \`RUNS=$runs benches/compare.sh\` (SIZES="$sizes", VERSIONS_APPS="$versions_apps")
- Machine: $cpu, $(nproc) cores, $mem, $(uname -sr), $fstype; load average $load_before before
  the run, $load_after after (other jobs share the cores: CPU times are the steadier figures)
- fluxspec: commit $commit, release build
- Tools: $tools

$report

EOF
if [ ! -f "$doc" ]; then
    printf '# Performance\n\nHow fast fluxspec commands are, how each figure was measured, and against what floor.\n\n' >"$doc"
fi
if grep -qx "$heading" "$doc"; then
    awk -v heading="$heading" -v file="$work/section.md" '
        $0 == heading { while ((getline line < file) > 0) print line; skip = 1; next }
        skip && /^## / { skip = 0 }
        !skip { print }' "$doc" >"$work/performance.md"
    mv "$work/performance.md" "$doc"
else
    cat "$work/section.md" >>"$doc"
fi
echo "wrote ${doc#"$repo"/}" >&2

echo "emptying the scratch trash" >&2
rm -rf "$work/trash" ${old_work:+"$old_work"}
