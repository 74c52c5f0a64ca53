//! Reading files a manifest or a command line names, safely: only regular files, never more
//! than a limit, and for files a manifest names, only inside the repo.
//!
//! A manifest comes from whoever wrote the pull request, so a path in it is untrusted: it may
//! climb out of the repo (`../../`), be a link to a file of the machine, or name a device
//! (`/dev/zero`) or a named pipe. Every file a manifest names is read through
//! [`read_inside`]; a file named on the command line through [`read_regular`] or
//! [`read_bounded`] (standard input).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file system refused.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The path does not exist (or is a link to nothing).
    #[error("`{}` does not exist", path.display())]
    Missing {
        /// The path as given.
        path: PathBuf,
    },
    /// The path, links followed, leaves the repo.
    #[error("`{}` is outside the repo", path.display())]
    OutsideRepo {
        /// The path as given.
        path: PathBuf,
    },
    /// A folder, a named pipe, a device or a socket.
    #[error("`{}` is {what}, not a regular file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
        /// What it is instead.
        what: &'static str,
    },
    /// Larger than the limit.
    #[error("`{}` is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("`{}` is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The path as given.
        path: PathBuf,
    },
}

/// Reads the text of `path`, which must resolve, links followed, to a regular file inside
/// `root`, of at most `limit` bytes.
pub fn read_inside(root: &Path, path: &Path, limit: u64) -> Result<String, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    let root = std::fs::canonicalize(root).map_err(io)?;
    let resolved = match std::fs::canonicalize(path) {
        Ok(resolved) => resolved,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReadError::Missing { path: path.to_path_buf() });
        }
        Err(err) => return Err(io(err)),
    };
    if !resolved.starts_with(&root) {
        return Err(ReadError::OutsideRepo { path: path.to_path_buf() });
    }
    let bytes = read_file(&resolved, limit).map_err(|err| err.named(path))?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8 { path: path.to_path_buf() })
}

/// Reads `path`, links followed, which must be a regular file of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_file(path, limit)
}

/// Reads at most `limit` bytes from `reader` (standard input), `name` naming it in errors.
pub fn read_bounded(reader: impl Read, name: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io { path: name.to_path_buf(), source })?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: name.to_path_buf(), limit });
    }
    Ok(bytes)
}

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    // The type is checked before opening: opening a named pipe waits for a writer.
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReadError::Missing { path: path.to_path_buf() });
        }
        Err(err) => return Err(io(err)),
    };
    check_regular(path, &metadata)?;
    let file = std::fs::File::open(path).map_err(io)?;
    // The file may have been swapped since it was looked at.
    check_regular(path, &file.metadata().map_err(io)?)?;
    // Bounded by the limit itself: a size the file system reports may be wrong (`/proc`).
    read_bounded(file, path, limit)
}

fn check_regular(path: &Path, metadata: &std::fs::Metadata) -> Result<(), ReadError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(ReadError::NotAFile { path: path.to_path_buf(), what: file_type(metadata) })
}

/// What a path that is not a regular file is.
fn file_type(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

impl ReadError {
    /// The same error, naming `path` (as the manifest wrote it) instead of the resolved one.
    fn named(self, path: &Path) -> Self {
        let path = path.to_path_buf();
        match self {
            Self::Io { source, .. } => Self::Io { path, source },
            Self::Missing { .. } => Self::Missing { path },
            Self::OutsideRepo { .. } => Self::OutsideRepo { path },
            Self::NotAFile { what, .. } => Self::NotAFile { path, what },
            Self::TooLarge { limit, .. } => Self::TooLarge { path, limit },
            Self::NotUtf8 { .. } => Self::NotUtf8 { path },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn scratch() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fanout-files-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("repo/schemas")).unwrap();
        dir
    }

    #[test]
    fn reads_a_file_inside_the_repo() {
        let dir = scratch();
        std::fs::write(dir.join("repo/schemas/a.json"), "{}").unwrap();
        let text = read_inside(&dir.join("repo"), &dir.join("repo/domains/../schemas/a.json"), 10);
        assert!(matches!(text, Err(ReadError::Missing { .. })), "domains/ does not exist: {text:?}");
        assert_eq!(read_inside(&dir.join("repo"), &dir.join("repo/schemas/a.json"), 10).unwrap(), "{}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_a_path_or_link_out_of_the_repo() {
        let dir = scratch();
        std::fs::write(dir.join("secret.json"), "{}").unwrap();
        let root = dir.join("repo");
        let up = read_inside(&root, &root.join("schemas/../../secret.json"), 10);
        assert!(matches!(up, Err(ReadError::OutsideRepo { .. })), "{up:?}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("secret.json"), root.join("schemas/link.json")).unwrap();
            let link = read_inside(&root, &root.join("schemas/link.json"), 10);
            assert!(matches!(link, Err(ReadError::OutsideRepo { .. })), "{link:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn reads_at_most_the_limit() {
        let dir = scratch();
        std::fs::write(dir.join("repo/big.json"), "x".repeat(11)).unwrap();
        let big = read_inside(&dir.join("repo"), &dir.join("repo/big.json"), 10);
        assert!(matches!(big, Err(ReadError::TooLarge { limit: 10, .. })), "{big:?}");
        #[cfg(target_os = "linux")]
        {
            let zero = read_regular(Path::new("/dev/zero"), 10);
            assert!(matches!(zero, Err(ReadError::NotAFile { what: "a device", .. })), "{zero:?}");
            let endless = read_bounded(std::io::repeat(0), Path::new("-"), 10);
            assert!(matches!(endless, Err(ReadError::TooLarge { .. })), "{endless:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
