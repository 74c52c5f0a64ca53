//! Reading a repo's manifests from disk: the only IO of this crate.
//!
//! Every file is read the same bounded way ([`read_text`]), and a file a manifest names (an
//! event schema) only inside the repo, confined first ([`read_inside`]): only a regular file (after
//! following links), never more than the limit plus one byte whatever size the file
//! system reports, never blocking on a pipe, and a UTF-8 byte-order mark skipped. A file
//! that cannot be read is a diagnostic of that file, so it hides no other file's errors.
//!
//! In the manifests folder, every `*.yaml` and `*.yml` entry (in any case) is a manifest,
//! whatever it is on disk: a folder, a pipe or a broken link so named is an error.
//! `fanout.yaml`, hidden entries (`.gitkeep`) and Markdown (`README.md`) are skipped; any
//! other file or folder is a warning, unless a manifest names it (as an event `schema`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, Location, lowercase_first};
use crate::project::{LOCK_FILE, Project, Source};

/// The repo settings file, whose folder is the repo root.
pub const SETTINGS_FILE: &str = "fanout.yaml";
/// The folder of domain manifests, under the repo root.
pub const MANIFEST_DIR: &str = "domains";
/// The largest manifest fanout reads; a domain manifest is a few kilobytes.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file or folder could not be read: problems of the files, not of their content
/// (those are [`Diagnostics`]).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file or folder could not be read.
    #[error("Cannot read `{}`", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a regular file.
    #[error("`{}` is {what}, not a file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead: `a folder`, `a named pipe`, `a device`, `a broken link`.
        what: &'static str,
    },
    /// The file is larger than the limit ([`MAX_MANIFEST_BYTES`] for a manifest).
    #[error("`{}` is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("`{}` is not UTF-8 text: byte 0x{byte:02x} at line {line}, column {column} is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The first byte that is not UTF-8.
        byte: u8,
        /// Its line, from 1.
        line: usize,
        /// Its column, from 1, in characters.
        column: usize,
    },
}

impl LoadError {
    /// The problem as a diagnostic of the file: a manifest that cannot be read is reported
    /// with the others, not instead of them.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let message = self.reason();
        let (kind, path, line, column, hint) = match self {
            LoadError::Read { path, .. } => {
                (DiagnosticKind::UnreadableFile, path, 1, 1, "check that the file exists and fanout may read it")
            }
            LoadError::NotAFile { path, .. } => (
                DiagnosticKind::NotAFile,
                path,
                1,
                1,
                "a manifest is a file `<domain>.yaml`; remove this one, or rename it so it does not end in `.yaml` or `.yml`",
            ),
            LoadError::TooLarge { path, .. } => {
                (DiagnosticKind::FileTooLarge, path, 1, 1, "a domain manifest is a few kilobytes; split the domain")
            }
            LoadError::NotUtf8 { path, line, column, .. } => {
                (DiagnosticKind::NotUtf8, path, *line, *column, "save the file as UTF-8")
            }
        };
        let mut diagnostic = Diagnostic::error(kind, FieldPath::root(), message).with_hint(hint);
        diagnostic.location = Some(Location { file: path.clone(), line, column });
        diagnostic
    }

    /// Why the file was not read, in a sentence that starts lowercase, with what the
    /// operating system said.
    pub fn reason(&self) -> String {
        let message = lowercase_first(&self.to_string());
        match self {
            LoadError::Read { source, .. } => format!("{message}: {}", lowercase_first(&source.to_string())),
            _ => message,
        }
    }

    /// The same error, naming `path` (as it was written) instead of the path that was read.
    pub(crate) fn named(self, path: &Path) -> Self {
        let path = path.to_path_buf();
        match self {
            LoadError::Read { source, .. } => LoadError::Read { path, source },
            LoadError::NotAFile { what, .. } => LoadError::NotAFile { path, what },
            LoadError::TooLarge { limit, .. } => LoadError::TooLarge { path, limit },
            LoadError::NotUtf8 { byte, line, column, .. } => LoadError::NotUtf8 { path, byte, line, column },
        }
    }
}

/// The repo root for `start`: the nearest folder at or above it that holds `fanout.yaml`,
/// or else a `domains/` folder.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let by = |marker: &str| start.ancestors().find(|dir| dir.join(marker).exists()).map(Path::to_path_buf);
    by(SETTINGS_FILE).or_else(|| by(MANIFEST_DIR))
}

/// Reads the text of the regular file at `path` (after following links), at most `limit`
/// bytes; a leading UTF-8 byte-order mark is skipped.
pub fn read_text(path: &Path, limit: u64) -> Result<String, LoadError> {
    let read_err = |source| LoadError::Read { path: path.to_path_buf(), source };
    // The file type is checked before opening: opening a named pipe waits for a writer.
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_ok() => {
            return Err(LoadError::NotAFile { path: path.to_path_buf(), what: "a broken link" });
        }
        Err(err) => return Err(read_err(err)),
    };
    if !metadata.is_file() {
        return Err(LoadError::NotAFile { path: path.to_path_buf(), what: file_type(&metadata) });
    }
    let file = open_without_blocking(path).map_err(read_err)?;
    // The file may have been swapped since it was looked at.
    let metadata = file.metadata().map_err(read_err)?;
    if !metadata.is_file() {
        return Err(LoadError::NotAFile { path: path.to_path_buf(), what: file_type(&metadata) });
    }
    // Bounded by the limit itself: a size the file system reports may be wrong (`/proc`).
    let bytes = read_bounded(file, path, limit)?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let bytes = err.as_bytes();
        // Everything before `valid` is UTF-8, so the line and column count characters.
        let before = String::from_utf8_lossy(&bytes[..valid]);
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        LoadError::NotUtf8 {
            path: path.to_path_buf(),
            byte: bytes[valid],
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    })
}

/// Reads at most `limit` bytes from `reader` (a file, or standard input), `path` naming it
/// in errors: more is [`LoadError::TooLarge`], whatever size was announced.
pub fn read_bounded(reader: impl Read, path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge { path: path.to_path_buf(), limit });
    }
    Ok(bytes)
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

/// Opens `path` for reading without waiting on it, should it have become a pipe.
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, 0o4000);
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, 0x0004);
    options.open(path)
}

/// Reads one file as a [`Source`], refusing anything but a regular UTF-8 file of at most
/// [`MAX_MANIFEST_BYTES`].
pub fn read_source(path: &Path) -> Result<Source, LoadError> {
    Ok(Source { path: path.to_path_buf(), text: read_text(path, MAX_MANIFEST_BYTES)? })
}

/// What a manifests folder holds, each list sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Every `*.yaml` and `*.yml` entry but `fanout.yaml`, whatever it is on disk.
    pub manifests: Vec<PathBuf>,
    /// Every other file or folder, except hidden ones and Markdown.
    pub others: Vec<PathBuf>,
}

/// Lists the manifests folder `dir`.
pub fn list_manifests(dir: &Path) -> Result<Listing, LoadError> {
    let read_err = |source| LoadError::Read { path: dir.to_path_buf(), source };
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            listing.others.push(path);
            continue;
        };
        let extension = path.extension().and_then(|ext| ext.to_str()).map(str::to_ascii_lowercase);
        // `fanout.yaml` may sit beside the manifests (a fixture repo keeps both in one folder).
        if name == SETTINGS_FILE || name.starts_with('.') || extension.as_deref() == Some("md") {
            continue;
        }
        match extension.as_deref() {
            Some("yaml" | "yml") => listing.manifests.push(path),
            _ => listing.others.push(path),
        }
    }
    listing.manifests.sort();
    listing.others.sort();
    Ok(listing)
}

/// Every manifest of the folder `dir`, sorted by name: see [`list_manifests`].
pub fn manifest_paths(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    Ok(list_manifests(dir)?.manifests)
}

/// Loads and checks the project: `settings` is the path of `fanout.yaml` if there is one,
/// `manifests` the folder of domain manifests.
///
/// The project comes back only without errors; the diagnostics carry file, line and column,
/// including those of files that could not be read. The error is for a manifests folder
/// that cannot be listed.
///
/// ```
/// use std::path::Path;
///
/// let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
/// let (project, diagnostics) =
///     fanout::load::load_project(Some(&repo.join("fanout.yaml")), &repo.join("domains"))?;
/// assert!(!diagnostics.has_errors(), "{diagnostics}");
/// let project = project.expect("no errors, so a project");
/// let template = project.template("scoring", "dev")?;
/// assert!(template.resources.contains_key("ScoringRunsQueue"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_project(settings: Option<&Path>, manifests: &Path) -> Result<(Option<Project>, Diagnostics), LoadError> {
    load(settings, manifests, true)
}

/// Like [`load_project`], without `fanout.lock`: what `fanout lock` loads, so a lock that no
/// longer fits the manifests, or cannot be read, never keeps it from being written afresh.
pub fn load_project_unlocked(
    settings: Option<&Path>,
    manifests: &Path,
) -> Result<(Option<Project>, Diagnostics), LoadError> {
    load(settings, manifests, false)
}

fn load(settings: Option<&Path>, manifests: &Path, locked: bool) -> Result<(Option<Project>, Diagnostics), LoadError> {
    let listing = list_manifests(manifests)?;
    let mut diagnostics = Diagnostics::default();
    let settings_path = settings;
    let settings = match settings.map(read_source).transpose() {
        Ok(settings) => settings,
        Err(err) => {
            diagnostics.push(err.to_diagnostic());
            None
        }
    };
    let mut sources = Vec::new();
    for path in &listing.manifests {
        match read_source(path) {
            Ok(source) => sources.push(source),
            Err(err) => diagnostics.push(err.to_diagnostic()),
        }
    }
    // Schemas are read only inside the repo: a manifest may name any path.
    let root = repo_root(settings_path, manifests);
    let lock = if locked { read_lock(&root, &mut diagnostics) } else { None };
    let (project, found) = Project::check_sources(settings.as_ref(), &sources, &schema_reader(&root), lock.as_ref());
    diagnostics.extend(found);
    for other in &listing.others {
        let named =
            project.domains.values().flat_map(|domain| domain.topics.values()).any(|topic| {
                topic.schema.as_ref().is_some_and(|schema| manifests.join(&schema.path).starts_with(other))
            });
        if !named {
            diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::StrayFile,
                    FieldPath::root(),
                    format!("`{}` is not a manifest, and no manifest names it", other.display()),
                )
                .with_hint("fanout reads `*.yaml` and `*.yml` files here; move it elsewhere, or name the manifest `<domain>.yaml`"),
            );
        }
    }
    diagnostics.sort();
    let ok = !diagnostics.has_errors();
    Ok((ok.then_some(project), diagnostics))
}

/// The largest `fanout.lock` fanout reads: a few contracts and schemas (each at most 4 KiB)
/// per stage and subscribed topic.
pub const MAX_LOCK_BYTES: u64 = 4 * 1024 * 1024;

/// `fanout.lock` at the repo root, if it is there: read as every file is, confined to the
/// repo (a link out of it, a pipe, a device or a file over [`MAX_LOCK_BYTES`] is an error
/// naming the file).
fn read_lock(root: &Path, diagnostics: &mut Diagnostics) -> Option<Source> {
    // Named as the user sees it: `fanout.lock` in the working directory, not `./fanout.lock`.
    let path = if root == Path::new(".") { PathBuf::from(LOCK_FILE) } else { root.join(LOCK_FILE) };
    // A broken link is there too, and an error.
    std::fs::symlink_metadata(&path).ok()?;
    match read_inside(root, &path, MAX_LOCK_BYTES) {
        Ok(text) => Some(Source { path, text }),
        Err(err) => {
            let mut diagnostic = Diagnostic::error(
                DiagnosticKind::UnreadableFile,
                FieldPath::root(),
                format!("cannot read the lock file: {}", err.reason()),
            )
            .with_hint(format!(
                "`{LOCK_FILE}` must be a regular file inside the repo, of at most {MAX_LOCK_BYTES} bytes; remove it and run `fanout lock` again"
            ));
            diagnostic.location = Some(Location { file: path, line: 1, column: 1 });
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// Why a file a manifest names was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
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
    /// The path is inside the repo, but the file could not be read: not a regular file,
    /// too large, not UTF-8, or refused by the file system.
    #[error("{}", .0.reason())]
    Read(LoadError),
}

impl ReadError {
    /// Why the file was not read, in a sentence that starts lowercase.
    pub fn reason(&self) -> String {
        crate::diagnostic::lowercase_first(&self.to_string())
    }
}

/// Reads the text of `path`, which must resolve, links followed, to a regular file inside
/// `root`, of at most `limit` bytes.
pub fn read_inside(root: &Path, path: &Path, limit: u64) -> Result<String, ReadError> {
    let io = |source| ReadError::Read(LoadError::Read { path: path.to_path_buf(), source });
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
    read_text(&resolved, limit).map_err(|err| ReadError::Read(err.named(path)))
}

/// The largest event schema file fanout reads: its compact JSON must fit a standard SSM
/// parameter (4 KB), so a larger file is a mistake or an attack.
pub const MAX_SCHEMA_BYTES: u64 = 1024 * 1024;

/// The repo root of a project: the folder of `fanout.yaml`, else the folder above the
/// manifests folder that holds `domains/`, else the manifests folder's parent.
fn repo_root(settings: Option<&Path>, manifests: &Path) -> PathBuf {
    let root = match settings {
        Some(settings) => settings.parent().map(Path::to_path_buf),
        None => find_root(manifests).or_else(|| manifests.parent().map(Path::to_path_buf)),
    };
    match root {
        Some(root) if !root.as_os_str().is_empty() => root,
        _ => PathBuf::from("."),
    }
}

/// Reads event schema files as [`load_project`] does, for
/// [`Project::from_sources_with_schemas`] and [`Project::from_builders_with_schemas`]: each
/// must resolve, links followed, to a regular file inside `root` (the repo) of at most
/// [`MAX_SCHEMA_BYTES`]; the text, or why it was not read.
pub fn schema_reader(root: &Path) -> impl Fn(&Path) -> Option<Result<String, String>> + '_ {
    move |path| Some(read_inside(root, path, MAX_SCHEMA_BYTES).map_err(|err| err.reason()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn scratch() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fanout-load-{}-{:?}", std::process::id(), std::thread::current().id()));
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
        assert!(matches!(big, Err(ReadError::Read(LoadError::TooLarge { limit: 10, .. }))), "{big:?}");
        #[cfg(target_os = "linux")]
        {
            let zero = read_text(Path::new("/dev/zero"), 10);
            assert!(matches!(zero, Err(LoadError::NotAFile { what: "a device", .. })), "{zero:?}");
            let endless = read_bounded(std::io::repeat(0), Path::new("-"), 10);
            assert!(matches!(endless, Err(LoadError::TooLarge { .. })), "{endless:?}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
