//! Crash safety: a compile SIGKILLed at any instant leaves every file of the output directory
//! holding either its old or its new content, never a torn one, and the next compile repairs the
//! tree: exactly what a clean compile gives, no temp file left, `check` content.
//!
//! The spec is a synthetic one of a few thousand output files (`fluxspec synth`), switched between
//! variants that create, rewrite and delete many files; each kill lands at a random instant of the
//! compile. The random choices come from a fixed seed (the instants also depend on the machine's
//! speed); `FLUXSPEC_CRASH_SEED` and `FLUXSPEC_CRASH_ITERATIONS` run other or more of them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::tree::{dirs_of, read_dirs, read_tree};
use common::{fluxspec, run, write};

type Tree = BTreeMap<String, Vec<u8>>;

const MANIFEST: &str = ".fluxspec-manifest";
const TEMP_PREFIX: &str = ".fluxspec-tmp-";

/// A spec the output directory is switched to.
struct Variant {
    apps: usize,
    clusters: usize,
    /// Every version of the spec raised by one major: many files change, none come or go.
    bumped: bool,
}

/// From one to the next: apps and clusters come and go (creates, deletes, and rewrites of the
/// files that list them), or every version changes.
const VARIANTS: [Variant; 4] = [
    Variant {
        apps: 180,
        clusters: 3,
        bumped: false,
    },
    Variant {
        apps: 140,
        clusters: 4,
        bumped: false,
    },
    Variant {
        apps: 220,
        clusters: 2,
        bumped: false,
    },
    Variant {
        apps: 180,
        clusters: 3,
        bumped: true,
    },
];

/// Files a person keeps in the output directory: never touched. One sits in the directory of an
/// app only some variants have, so it also keeps that directory from being pruned.
const USER_FILES: [(&str, &str); 2] = [
    ("NOTES.md", "how we deploy\n"),
    ("apps/app00150/NOTES.md", "app 150 is special\n"),
];

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} is not a number: {value}"))
    })
}

/// Writes `variant`'s spec to `root/spec/homelab.kdl`, over the previous one. Every variant
/// writes its spec at the same path, so generated headers, which name it, stay the same.
fn set_spec(root: &Path, variant: &Variant) {
    let apps = variant.apps.to_string();
    let clusters = variant.clusters.to_string();
    run(
        root,
        &["synth", "--apps", &apps, "--clusters", &clusters, "spec"],
    )
    .expect_code(0);
    if variant.bumped {
        let path = root.join("spec/homelab.kdl");
        let text = fs::read_to_string(&path).expect("no spec");
        assert!(text.contains("version \"1."));
        fs::write(&path, text.replace("version \"1.", "version \"2.")).expect("cannot write");
    }
}

/// A variant's clean tree, and how long a compile of it takes before and until its last write.
struct Reference {
    tree: Tree,
    dirs: BTreeSet<String>,
    /// `check` of the clean tree: rendering, reading and hashing, all a compile does before its
    /// first write.
    check: Duration,
    /// A compile into an empty directory: rendering and writing every file.
    cold_compile: Duration,
}

/// Compiles every variant into a fresh `generated/` (where `output-path` puts it), reads it and
/// removes it again.
fn references(root: &Path) -> Vec<Reference> {
    VARIANTS
        .iter()
        .map(|variant| {
            set_spec(root, variant);
            let start = Instant::now();
            run(root, &["compile", "--quiet"]).expect_code(0);
            let cold_compile = start.elapsed();
            let start = Instant::now();
            run(root, &["check", "--quiet"]).expect_code(0);
            let check = start.elapsed();
            let out = root.join("generated");
            let reference = Reference {
                tree: read_tree(&out),
                dirs: read_dirs(&out),
                check,
                cold_compile,
            };
            fs::remove_dir_all(&out).expect("cannot remove the reference");
            reference
        })
        .collect()
}

/// A temp file, or a file in a compile's staging directory.
fn is_temp(path: &str) -> bool {
    path.split('/').any(|name| name.starts_with(TEMP_PREFIX))
}

fn lines(text: &[u8]) -> BTreeSet<&[u8]> {
    text.split(|byte| *byte == b'\n').collect()
}

/// Every file holds its old or its new content (a user file its own); a file of both trees is
/// there; the manifest lists only entries of the old and new manifests.
fn assert_old_or_new(out: &Path, old: &Tree, new: &Tree, what: &str) {
    let tree = read_tree(out);
    for (path, contents) in &tree {
        if is_temp(path) {
            continue; // debris of the kill, which the next compile must remove
        }
        if path == MANIFEST {
            let known: BTreeSet<&[u8]> = lines(&old[MANIFEST])
                .union(&lines(&new[MANIFEST]))
                .copied()
                .collect();
            for line in lines(contents) {
                assert!(
                    line.starts_with(b"#") || known.contains(line),
                    "{what}: the manifest has an entry of neither tree: {}",
                    String::from_utf8_lossy(line)
                );
            }
            continue;
        }
        if let Some((_, user)) = USER_FILES.iter().find(|(user, _)| user == path) {
            assert_eq!(
                contents,
                user.as_bytes(),
                "{what}: user file {path} changed"
            );
            continue;
        }
        assert!(
            old.get(path) == Some(contents) || new.get(path) == Some(contents),
            "{what}: {path} holds neither its old nor its new content:\n{}",
            String::from_utf8_lossy(contents)
        );
    }
    for path in old.keys().filter(|path| new.contains_key(*path)) {
        assert!(tree.contains_key(path), "{what}: {path} vanished");
    }
    for (path, _) in USER_FILES {
        assert!(tree.contains_key(path), "{what}: user file {path} vanished");
    }
}

/// Where in a compile a kill landed.
enum Landing {
    /// The compile was running and had written nothing yet.
    BeforeWriting,
    /// The compile was running, and had written new content to its staging directory but not
    /// yet begun to apply it: the manifest is the old one.
    Staging,
    /// The compile was running and had begun to apply its plan: the manifest is no longer the
    /// old one, files are being deleted and renamed into place.
    Applying,
    /// The compile had finished.
    AfterFinishing,
}

/// How many kills landed where.
#[derive(Debug, Default)]
struct Tally {
    before_writing: usize,
    staging: usize,
    applying: usize,
    after_finishing: usize,
}

/// The staging directories (and temp files) at the top of the output directory `out`.
fn temp_entries(out: &Path) -> BTreeSet<OsString> {
    fs::read_dir(out).map_or_else(
        |_| BTreeSet::new(),
        |entries| {
            entries
                .map(|entry| entry.expect("cannot list the output").file_name())
                .filter(|name| name.to_string_lossy().starts_with(TEMP_PREFIX))
                .collect()
        },
    )
}

/// Whether the directory `dir`, or one under it, holds a file.
fn holds_a_file(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .map(|entry| entry.expect("cannot list"))
            .any(|entry| {
                let file_type = entry.file_type().expect("cannot stat");
                file_type.is_file() || (file_type.is_dir() && holds_a_file(&entry.path()))
            })
    })
}

/// Starts a compile, SIGKILLs it after `delay`, and says where the kill landed.
fn kill_compile(root: &Path, delay: Duration, old: &Tree) -> Landing {
    let out = root.join("generated");
    // A killed compile before this one (the repair is killed too, sometimes) left its own.
    let earlier_temp_entries = temp_entries(&out);
    let mut child = fluxspec(root)
        .args(["compile", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start fluxspec");
    std::thread::sleep(delay);
    let running = child.try_wait().expect("cannot poll").is_none();
    // `Child::kill` is SIGKILL on Unix. It fails only if the child was reaped already; it was not.
    child.kill().expect("cannot kill fluxspec");
    child.wait().expect("cannot reap fluxspec");
    if !running {
        Landing::AfterFinishing
    } else if fs::read(out.join(MANIFEST)).ok().as_ref() != old.get(MANIFEST) {
        // The first write of `apply` is the manifest's.
        Landing::Applying
    } else if temp_entries(&out)
        .difference(&earlier_temp_entries)
        .any(|name| holds_a_file(&out.join(name)))
    {
        Landing::Staging
    } else {
        Landing::BeforeWriting
    }
}

/// The next compile repairs the tree: exactly the clean tree and the user files, the same
/// directories, no temp file, no file called hand-edited, and `check` content.
fn assert_converges(root: &Path, reference: &Reference, what: &str) {
    let out = root.join("generated");
    let repair = run(root, &["compile", "--quiet"]);
    repair.expect_code(0);
    let warnings: Vec<&str> = repair.stderr.lines().collect();
    assert!(
        warnings.is_empty(),
        "{what}: the repair warned {} times, first {:?}",
        warnings.len(),
        &warnings[..warnings.len().min(3)]
    );
    let mut expected = reference.tree.clone();
    for (path, contents) in USER_FILES {
        expected.insert(path.to_owned(), contents.as_bytes().to_vec());
    }
    let tree = read_tree(&out);
    if tree != expected {
        let differing: Vec<&String> = tree
            .keys()
            .chain(expected.keys())
            .filter(|path| tree.get(*path) != expected.get(*path))
            .collect();
        panic!("{what}: the repaired tree differs from a clean compile at {differing:?}");
    }
    let mut expected_dirs = reference.dirs.clone();
    expected_dirs.extend(dirs_of(USER_FILES.map(|(path, _)| path)));
    let dirs = read_dirs(&out);
    assert!(
        dirs == expected_dirs,
        "{what}: directories only after the repair {:?}, only after a clean compile {:?}",
        dirs.difference(&expected_dirs).collect::<Vec<_>>(),
        expected_dirs.difference(&dirs).collect::<Vec<_>>()
    );
    run(root, &["check", "--quiet"]).expect_code(0);
}

#[test]
fn a_killed_compile_leaves_old_or_new_files_and_the_next_one_repairs_the_tree() {
    let seed = setting("FLUXSPEC_CRASH_SEED", 4);
    let iterations = setting("FLUXSPEC_CRASH_ITERATIONS", 40);
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = tempfile::tempdir().expect("cannot create a temp dir");
    let root = dir.path();
    let started = Instant::now();
    let references = references(root);
    for (reference, variant) in references.iter().zip(&VARIANTS) {
        eprintln!(
            "{} apps x {} clusters{}: {} files, check {:?}, cold compile {:?}",
            variant.apps,
            variant.clusters,
            if variant.bumped { ", bumped" } else { "" },
            reference.tree.len(),
            reference.check,
            reference.cold_compile
        );
    }

    let mut current = 0;
    set_spec(root, &VARIANTS[current]);
    for (path, contents) in USER_FILES {
        write(&root.join("generated"), path, contents);
    }
    run(root, &["compile", "--quiet"]).expect_code(0);

    let mut tally = Tally::default();
    // Other jobs on the machine make compiles slower or faster than when they were measured.
    // `pace` scales the measured durations: up after a kill that landed before any write, down
    // after one that landed once the compile had finished, so that kills keep landing among the
    // writes. Staging takes most of a compile's writing time and applying (renames only) little,
    // so a kill during staging also nudges it up a little, towards the renames that follow.
    // (So the delays depend on timing; the seed fixes every other choice.)
    let mut pace = 1.0_f64;
    for iteration in 0..iterations {
        let next = (current + rng.usize(1..VARIANTS.len())) % VARIANTS.len();
        set_spec(root, &VARIANTS[next]);
        let (old, new) = (&references[current].tree, &references[next].tree);
        // Kills spread from a little before a compile starts writing to when a compile of every
        // file would finish. One time in four the repairing compile is killed too, before a last
        // one repairs the tree.
        let earliest = references[next].check.mul_f64(0.7);
        let latest = references[next].cold_compile;
        let kills = if rng.u8(0..4) == 0 { 2 } else { 1 };
        for kill in 0..kills {
            let delay =
                (earliest + latest.saturating_sub(earliest).mul_f64(rng.f64())).mul_f64(pace);
            let what = format!(
                "seed {seed}, iteration {iteration}, kill {kill} after {delay:?}, variant {current} -> {next}"
            );
            match kill_compile(root, delay, old) {
                Landing::BeforeWriting => {
                    tally.before_writing += 1;
                    pace *= 1.25;
                }
                Landing::Staging => {
                    tally.staging += 1;
                    pace *= 1.1;
                }
                Landing::Applying => tally.applying += 1,
                Landing::AfterFinishing => {
                    tally.after_finishing += 1;
                    pace *= 0.8;
                }
            }
            assert_old_or_new(&root.join("generated"), old, new, &what);
        }
        assert_converges(
            root,
            &references[next],
            &format!("seed {seed}, iteration {iteration}"),
        );
        current = next;
    }
    eprintln!(
        "{iterations} iterations in {:?}: {tally:?}, pace at the end {pace:.2}",
        started.elapsed()
    );
    // The kills must have landed in the writes often enough to mean something: in staging (new
    // content written into the output directory, under temp names) or in applying (deletions and
    // renames into place), together as often as the writes were hit before staging existed, and
    // in each at least once.
    assert!(
        tally.staging + tally.applying >= usize::try_from(iterations / 4).expect("few iterations"),
        "too few kills landed while files were written: {tally:?}"
    );
    assert!(
        tally.staging >= 1 && tally.applying >= 1,
        "no kill landed in staging or none in applying: {tally:?}"
    );
}
