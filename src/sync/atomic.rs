//! The one way fluxspec replaces a file: the generated files, the spec (`promote`, `fmt`) and
//! `renovate.json` all go through [`write()`].
//!
//! The new content goes to a temp file in the destination's directory (so the rename cannot
//! cross filesystems), which is renamed over the destination: a kill at any instant leaves the
//! old file or the new one, whole, and at worst a temp file named [`TEMP_PREFIX`]`*` beside it.
//! The file keeps the permissions it had (a new one is `0644`). What a symlink at the destination
//! means, and whether the data reaches the disk before the rename, is the caller's [`Policy`].
//!
//! A compile splits the two steps ([`persist`]): it writes each new file whole into a staging
//! directory while it plans, and renames them into place only once the whole plan is known to be
//! safe, so it holds no file's content in memory meanwhile.
//!
//! Boundary: replaces one regular file; creates no directory; never writes anything but the temp
//! file and the destination.

use std::fs::{self, Permissions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Prefix of in-flight temp files; a compile removes any a killed one left in the output tree.
pub(crate) const TEMP_PREFIX: &str = ".fluxspec-tmp-";

/// What a symlink at the destination means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symlinks {
    /// Refused: the file is not fluxspec's to replace.
    Refuse,
    /// Followed: its target is replaced, and the link stays a link.
    WriteThrough,
}

/// How [`write()`] treats the destination.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    symlinks: Symlinks,
    /// `fsync` the temp file before the rename, so that a power loss cannot leave an empty file.
    flush: bool,
}

impl Policy {
    /// A file of the output tree. Never written through a symlink, which could point outside the
    /// output directory. Not flushed: a compile writes thousands of files, a sync each would
    /// multiply its time, and the tree is regenerated from the spec by the next compile.
    pub(crate) const GENERATED: Self = Self {
        symlinks: Symlinks::Refuse,
        flush: false,
    };

    /// A file a person keeps and commits (the spec, `renovate.json`). A symlink to it is the
    /// person's layout, so its target is replaced; flushed, since it may be the only copy of an
    /// edit.
    pub(crate) const SOURCE: Self = Self {
        symlinks: Symlinks::WriteThrough,
        flush: true,
    };
}

/// Why a [`write()`] failed; nothing was replaced, and no temp file is left.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The destination is a symlink (refused by the policy), a directory or a special file.
    NotAFile(PathBuf),
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_failure(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Failure {
    let path = path.to_path_buf();
    move |source| Failure::Io {
        action,
        path,
        source,
    }
}

/// Replaces the file at `path` with `contents`, atomically, as `policy` says. The directory must
/// exist.
pub(crate) fn write(path: &Path, contents: &[u8], policy: Policy) -> Result<(), Failure> {
    write_with(path, policy, |file| file.write_all(contents))
}

/// [`write()`] of the content `fill` writes, which it streams instead of building it first.
pub(crate) fn write_with(
    path: &Path,
    policy: Policy,
    fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let (target, permissions) = destination(path, policy.symlinks)?;
    replace(&target, fill, permissions, policy.flush)
}

/// Renames `temp`, a file written whole with [`new_file_permissions`], over `path`, which
/// [`Policy::GENERATED`] allows to be replaced: the second half of a [`write()`] whose content was
/// written earlier (a compile's staged files). The file keeps the permissions it had (`temp`'s
/// mode is changed, by path, only if they differ), a new one is `0644`. `temp` must be on the
/// destination's filesystem; on failure it is left for its owner to remove.
pub(crate) fn persist(temp: &Path, path: &Path) -> Result<(), Failure> {
    let (target, permissions) = destination(path, Policy::GENERATED.symlinks)?;
    if let Some(permissions) = permissions.filter(|existing| !is_new_file_mode(existing)) {
        fs::set_permissions(temp, permissions)
            .map_err(io_failure("set the permissions of", &target))?;
    }
    fs::rename(temp, &target).map_err(io_failure("replace", &target))
}

/// The mode of a new file.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o644;

/// The permissions of a new file, an ordinary `0644` (tempfile makes files readable by the owner
/// only); `None` where a file has no mode.
pub(crate) fn new_file_permissions() -> Option<Permissions> {
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        Some(Permissions::from_mode(NEW_FILE_MODE))
    };
    #[cfg(not(unix))]
    let permissions = None;
    permissions
}

/// Whether `permissions` are a new file's, [`new_file_permissions`].
fn is_new_file_mode(permissions: &Permissions) -> bool {
    #[cfg(unix)]
    let is_new = {
        use std::os::unix::fs::PermissionsExt;
        permissions.mode() & 0o7777 == NEW_FILE_MODE
    };
    #[cfg(not(unix))]
    let is_new = false;
    is_new
}

/// The file to replace (`path`, or its symlink's target) and the permissions the new content
/// gets: the existing file's, or `None` for a new file.
fn destination(path: &Path, symlinks: Symlinks) -> Result<(PathBuf, Option<Permissions>), Failure> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok((path.to_path_buf(), None));
        }
        Err(error) => return Err(io_failure("inspect", path)(error)),
    };
    let (target, metadata) = if metadata.is_symlink() {
        if symlinks == Symlinks::Refuse {
            return Err(Failure::NotAFile(path.to_path_buf()));
        }
        // Every link in the chain resolved; a dangling one is an error, not a new file.
        let target = fs::canonicalize(path).map_err(io_failure("resolve", path))?;
        let metadata = fs::metadata(&target).map_err(io_failure("inspect", &target))?;
        (target, metadata)
    } else {
        (path.to_path_buf(), metadata)
    };
    if !metadata.is_file() {
        return Err(Failure::NotAFile(target));
    }
    Ok((target, Some(metadata.permissions())))
}

/// Writes what `fill` writes to a temp file beside `target` and renames it over `target`. On any
/// error the temp file is removed (`NamedTempFile`'s drop).
fn replace(
    target: &Path,
    fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    permissions: Option<Permissions>,
    flush: bool,
) -> Result<(), Failure> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(io_failure("create a temp file in", dir))?;
    let mut buffered = io::BufWriter::new(temp.as_file_mut());
    fill(&mut buffered)
        .and_then(|()| buffered.flush())
        .map_err(io_failure("write", target))?;
    drop(buffered);
    if let Some(permissions) = permissions.or_else(new_file_permissions) {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(io_failure("set the permissions of", target))?;
    }
    if flush {
        temp.as_file()
            .sync_all()
            .map_err(io_failure("write", target))?;
    }
    temp.persist(target)
        .map_err(|error| io_failure("replace", target)(error.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::Path;

    use super::{Failure, Policy, TEMP_PREFIX, replace, write};

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    /// Fails if `dir` holds a temp file.
    fn assert_no_temp_file(dir: &Path) {
        let temps: Vec<_> = fs::read_dir(dir)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .filter(|name| name.to_string_lossy().starts_with(TEMP_PREFIX))
            .collect();
        assert!(temps.is_empty(), "temp files left: {temps:?}");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_is_0644() {
        for policy in [Policy::GENERATED, Policy::SOURCE] {
            let dir = tempfile::tempdir().expect("temp dir");
            let existing = dir.path().join("existing");
            fs::write(&existing, "old").expect("write");
            fs::set_permissions(&existing, fs::Permissions::from_mode(0o640)).expect("chmod");
            write(&existing, b"new", policy).expect("replace");
            assert_eq!(fs::read_to_string(&existing).expect("read"), "new");
            assert_eq!(mode(&existing), 0o640);

            let new = dir.path().join("new");
            write(&new, b"new", policy).expect("create");
            assert_eq!(fs::read_to_string(&new).expect("read"), "new");
            assert_eq!(mode(&new), 0o644);
            assert_no_temp_file(dir.path());
        }
    }

    #[test]
    fn a_generated_file_is_never_written_through_a_symlink() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("target");
        fs::write(&target, "theirs").expect("write");
        let link = dir.path().join("link");
        symlink(&target, &link).expect("symlink");
        let error = write(&link, b"ours", Policy::GENERATED).expect_err("a symlink is refused");
        assert!(matches!(error, Failure::NotAFile(path) if path == link));
        assert_eq!(fs::read_to_string(&target).expect("read"), "theirs");
        assert!(fs::symlink_metadata(&link).expect("lstat").is_symlink());
        assert_no_temp_file(dir.path());
    }

    #[test]
    fn a_source_file_is_written_through_a_symlink_to_its_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real");
        fs::create_dir(&real).expect("mkdir");
        let target = real.join("target");
        fs::write(&target, "old").expect("write");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
        let link = dir.path().join("link");
        symlink(&target, &link).expect("symlink");
        write(&link, b"new", Policy::SOURCE).expect("write through");
        assert!(fs::symlink_metadata(&link).expect("lstat").is_symlink());
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        assert_eq!(mode(&target), 0o600);
        // The temp file was made beside the target, not beside the link.
        assert_no_temp_file(dir.path());
        assert_no_temp_file(&real);
    }

    #[test]
    fn a_dangling_symlink_or_a_directory_is_not_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nothing"), &dangling).expect("symlink");
        let error = write(&dangling, b"new", Policy::SOURCE).expect_err("dangling");
        assert!(matches!(
            error,
            Failure::Io {
                action: "resolve",
                ..
            }
        ));
        assert!(!dir.path().join("nothing").exists());
        let subdir = dir.path().join("subdir");
        fs::create_dir(&subdir).expect("mkdir");
        for policy in [Policy::GENERATED, Policy::SOURCE] {
            let error = write(&subdir, b"new", policy).expect_err("a directory");
            assert!(matches!(error, Failure::NotAFile(path) if path == subdir));
        }
        assert_no_temp_file(dir.path());
    }

    // The rename is the last step that can fail; the temp file written before it must go too.
    #[test]
    fn a_failed_rename_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let occupied = dir.path().join("occupied");
        fs::create_dir(&occupied).expect("mkdir");
        fs::write(occupied.join("file"), "x").expect("write");
        let error = replace(&occupied, |file| file.write_all(b"new"), None, true)
            .expect_err("rename over a directory");
        assert!(matches!(
            error,
            Failure::Io {
                action: "replace",
                ..
            }
        ));
        assert!(occupied.is_dir());
        assert_no_temp_file(dir.path());
    }
}
