//! Reading input files: the spec, the files it names and the ownership manifest, all through
//! [`read_capped`].
//!
//! Inputs come from a repository anyone may send a pull request to, so a path may name a named
//! pipe (which blocks a reader forever), a device (`/dev/zero` never ends) or a file that grows
//! while it is read. Only regular files are read, and never more than a limit, whatever their
//! metadata says. Boundary: reads, never writes; the callers turn a [`ReadFailure`] into their own
//! diagnostic.

use std::fmt;
use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::Path;

/// What a path names, when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Directory,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    /// Only `symlink_metadata` sees a link; reads follow them.
    Symlink,
    Other,
}

impl FileKind {
    /// The kind of a file that is not a regular one; `None` for a regular file.
    pub(crate) fn of(file_type: FileType) -> Option<Self> {
        #[cfg(unix)]
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_file() {
            return None;
        }
        if file_type.is_dir() {
            return Some(Self::Directory);
        }
        if file_type.is_symlink() {
            return Some(Self::Symlink);
        }
        #[cfg(unix)]
        {
            if file_type.is_fifo() {
                return Some(Self::Fifo);
            }
            if file_type.is_char_device() {
                return Some(Self::CharDevice);
            }
            if file_type.is_block_device() {
                return Some(Self::BlockDevice);
            }
            if file_type.is_socket() {
                return Some(Self::Socket);
            }
        }
        Some(Self::Other)
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Directory => "a directory",
            Self::Fifo => "a named pipe (FIFO)",
            Self::CharDevice => "a character device",
            Self::BlockDevice => "a block device",
            Self::Socket => "a socket",
            Self::Symlink => "a symlink",
            Self::Other => "a special file",
        })
    }
}

/// Why an input could not be read.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The path names something other than a regular file.
    NotAFile(FileKind),
    /// The file holds more than the limit (`size` bytes, or more: reading stopped there).
    TooLarge {
        size: u64,
    },
    Io(io::Error),
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAFile(kind) => write!(f, "it is {kind}, not a regular file"),
            Self::TooLarge { size } => write!(f, "it is {size} bytes or more"),
            Self::Io(error) => error.fmt(f),
        }
    }
}

/// The content of the regular file at `path` (symlinks followed), at most `limit` bytes.
///
/// The type is checked twice: by path before opening, so that a device is never opened (opening
/// some has effects), and on the open handle, which is what is read, so a file swapped between
/// the two checks is still caught. The open does not block on a named pipe swapped in after the
/// first check (`O_NONBLOCK`, which does not change how a regular file reads), and at most
/// `limit + 1` bytes are read, so a file that grows, or whose size lies, is still bounded.
pub(crate) fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let metadata = fs::metadata(path).map_err(ReadFailure::Io)?;
    if let Some(kind) = FileKind::of(metadata.file_type()) {
        return Err(ReadFailure::NotAFile(kind));
    }
    let file = open_nonblocking(path).map_err(ReadFailure::Io)?;
    let metadata = file.metadata().map_err(ReadFailure::Io)?;
    if let Some(kind) = FileKind::of(metadata.file_type()) {
        return Err(ReadFailure::NotAFile(kind));
    }
    if metadata.len() > limit {
        return Err(ReadFailure::TooLarge {
            size: metadata.len(),
        });
    }
    // Sized from the metadata at hand, bounded by the limit whatever it says.
    let capacity = usize::try_from(metadata.len().min(limit)).unwrap_or_default();
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(ReadFailure::TooLarge { size });
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        // No controlling terminal either, should a terminal be swapped in.
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Where the first byte that is not UTF-8 sits: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotUtf8 {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// `bytes` as text, or where the first invalid byte is.
pub(crate) fn utf8_text(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    String::from_utf8(bytes)
        .map_err(|error| utf8_position(error.as_bytes(), error.utf8_error().valid_up_to()))
}

/// The line and column of byte `offset` in `bytes`, whose bytes before it are valid UTF-8.
pub(crate) fn utf8_position(bytes: &[u8], offset: usize) -> NotUtf8 {
    let valid = bytes.get(..offset).unwrap_or_default();
    let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column_bytes = valid.get(line_start..).unwrap_or_default();
    NotUtf8 {
        line: valid.split(|&b| b == b'\n').count(),
        // The bytes before the bad one are valid UTF-8, so counting characters is exact.
        column: String::from_utf8_lossy(column_bytes).chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::{FileKind, NotUtf8, ReadFailure, read_capped, utf8_text};

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = tempfile::tempdir().expect("cannot create a temp dir");
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, b"12345").expect("cannot write");
        assert_eq!(read_capped(&path, 5).expect("within the limit"), b"12345");
        assert!(matches!(
            read_capped(&path, 4),
            Err(ReadFailure::TooLarge { size: 5 })
        ));
        assert!(matches!(
            read_capped(dir.path(), 5),
            Err(ReadFailure::NotAFile(FileKind::Directory))
        ));
    }

    // Regression: `/dev/zero` as an input was read until memory ran out.
    #[cfg(unix)]
    #[test]
    fn refuses_a_device() {
        assert!(matches!(
            read_capped(std::path::Path::new("/dev/zero"), 5),
            Err(ReadFailure::NotAFile(FileKind::CharDevice))
        ));
    }

    #[test]
    fn locates_the_first_invalid_byte() {
        assert_eq!(
            utf8_text(b"ab\ncd\xffe".to_vec()),
            Err(NotUtf8 { line: 2, column: 3 })
        );
        assert_eq!(utf8_text(b"ok".to_vec()).as_deref(), Ok("ok"));
    }
}
