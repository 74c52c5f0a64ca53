//! Where the repo is: its root, settings file, manifests and templates folders.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use fanout::contract::published::Lock;
use fanout::load::{self, MANIFEST_DIR, SETTINGS_FILE};
use fanout::project::{LOCK_FILE, LockFile};
use fanout::{Diagnostics, Project};

use crate::GlobalArgs;

/// The folders a command works on, as paths relative to the working directory where possible
/// so that diagnostics read `domains/scoring.yaml:14:9`.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub settings: Option<PathBuf>,
    pub manifests: PathBuf,
}

impl Workspace {
    /// Finds the repo from the working directory (or `-C`), with an optional manifests folder.
    pub fn discover(global: &GlobalArgs, manifests: Option<&Path>) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("Cannot read the working directory")?;
        let start = match &global.directory {
            Some(dir) => cwd.join(dir),
            None => cwd.clone(),
        };
        if !start.is_dir() {
            bail!("`{}` is not a folder", start.display());
        }
        let root = match manifests {
            // Explicit manifests: the settings file, if any, sits beside or above them.
            Some(dir) => load::find_root(&start.join(dir)).unwrap_or_else(|| start.clone()),
            None => load::find_root(&start).with_context(|| {
                format!(
                    "No `{SETTINGS_FILE}` or `{MANIFEST_DIR}/` folder in `{}` or above it\n  hint: run fanout in a repo with domain manifests in `{MANIFEST_DIR}/`, or pass `-C <repo>`",
                    start.display()
                )
            })?,
        };
        let settings = root.join(SETTINGS_FILE);
        let manifests = match manifests {
            Some(dir) => start.join(dir),
            None => root.join(MANIFEST_DIR),
        };
        if !manifests.is_dir() {
            bail!("The manifests folder `{}` does not exist", relative(&cwd, &manifests).display());
        }
        Ok(Self {
            settings: settings.is_file().then(|| relative(&cwd, &settings)),
            manifests: relative(&cwd, &manifests),
            root: relative(&cwd, &root),
        })
    }

    /// `fanout.lock` at the repo root.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }

    /// The repo root as a folder to open: `.` when it is the working directory.
    pub fn root_dir(&self) -> &Path {
        if self.root.as_os_str().is_empty() { Path::new(".") } else { &self.root }
    }

    /// The lock at the repo root, read as `validate` reads it; `None` when there is none. A
    /// lock that cannot be read is an error naming the file, its diagnostics printed.
    pub fn read_lock(&self, quiet: bool) -> anyhow::Result<Option<Lock>> {
        let path = self.lock_path();
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let text = load::read_inside(self.root_dir(), &path, MAX_LOCK_BYTES).map_err(|err| {
            anyhow::anyhow!("Cannot read `{}`: {}\n  hint: {LOCK_HINT}", path.display(), err.reason())
        })?;
        let (lock, diagnostics) = LockFile::parse(&path, &text);
        match lock {
            Some(lock) => Ok(Some(lock.lock)),
            None => {
                crate::render::diagnostics(&diagnostics, quiet);
                bail!("`{}` is not a lock fanout can read\n  hint: {LOCK_HINT}", path.display())
            }
        }
    }

    /// Loads and checks every manifest without `fanout.lock` (for `fanout lock`).
    pub fn load_unlocked(&self) -> anyhow::Result<(Option<Project>, Diagnostics)> {
        Ok(load::load_project_unlocked(self.settings.as_deref(), &self.manifests)?)
    }

    /// Loads and checks every manifest.
    pub fn load(&self) -> anyhow::Result<(Option<Project>, Diagnostics)> {
        Ok(load::load_project(self.settings.as_deref(), &self.manifests)?)
    }
}

/// The largest `fanout.lock` read, as `validate` reads it.
const MAX_LOCK_BYTES: u64 = load::MAX_LOCK_BYTES;

const LOCK_HINT: &str = "remove it and write it again with `fanout lock` (it is generated: never edit it by hand)";

/// `path` relative to `base` when one is inside the other's tree, else `path` unchanged.
pub fn relative(base: &Path, path: &Path) -> PathBuf {
    let path = normalize(path);
    let base = normalize(base);
    let common = base.components().zip(path.components()).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return path;
    }
    let mut out = PathBuf::new();
    for _ in base.components().skip(common) {
        out.push("..");
    }
    for part in path.components().skip(common) {
        out.push(part);
    }
    out
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
