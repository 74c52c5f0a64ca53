//! Reading a repo's manifests from disk: the only IO of this crate.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::model::lower::lowercase_first;
use crate::project::{Project, Source};

/// The repo settings file, whose folder is the repo root.
pub const SETTINGS_FILE: &str = "fanout.yaml";
/// The folder of domain manifests, under the repo root.
pub const MANIFEST_DIR: &str = "domains";
/// The largest manifest fanout reads; a domain manifest is a few kilobytes.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Why the manifests could not be read: problems of the files, not of their content
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
    /// The file is larger than [`MAX_MANIFEST_BYTES`].
    #[error("`{}` is {size} bytes; manifests may be at most {MAX_MANIFEST_BYTES} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The file is not text.
    #[error("`{}` is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
}

/// The repo root for `start`: the nearest folder at or above it that holds `fanout.yaml`,
/// or else a `domains/` folder.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let by = |marker: &str| start.ancestors().find(|dir| dir.join(marker).exists()).map(Path::to_path_buf);
    by(SETTINGS_FILE).or_else(|| by(MANIFEST_DIR))
}

/// Reads one file as a [`Source`], refusing huge or non-UTF-8 files.
pub fn read_source(path: &Path) -> Result<Source, LoadError> {
    let read_err = |source| LoadError::Read { path: path.to_path_buf(), source };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(LoadError::TooLarge { path: path.to_path_buf(), size });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 { path: path.to_path_buf() })?;
    Ok(Source { path: path.to_path_buf(), text })
}

/// Every `*.yaml` and `*.yml` file directly in `dir`, sorted by name.
pub fn manifest_paths(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let read_err = |source| LoadError::Read { path: dir.to_path_buf(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        // `fanout.yaml` may sit beside the manifests (a fixture repo keeps both in one folder).
        let is_settings = path.file_name().is_some_and(|name| name == SETTINGS_FILE);
        let is_manifest = !is_settings && path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml");
        if is_manifest && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Loads and checks the project: `settings` is the path of `fanout.yaml` if there is one,
/// `manifests` the folder of domain manifests.
///
/// The project comes back only without errors; the diagnostics carry file, line and column.
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
    let settings = settings.map(read_source).transpose()?;
    let sources = manifest_paths(manifests)?.iter().map(|path| read_source(path)).collect::<Result<Vec<_>, _>>()?;
    Ok(Project::from_sources_with_schemas(settings.as_ref(), &sources, &read_schema))
}

/// Reads an event schema file, as [`load_project`] does, for
/// [`Project::from_sources_with_schemas`] and [`Project::from_builders_with_schemas`]:
/// the text, or why it could not be read.
pub fn read_schema(path: &Path) -> Option<Result<String, String>> {
    Some(read_source(path).map(|source| source.text).map_err(|err| lowercase_first(&err.to_string())))
}
