//! Writing into the output folder safely: templates are written to a temporary file beside
//! them and renamed into place, never through a link, and only files fanout owns are removed.
//!
//! A pull request can commit links: `templates/dev/x.json` (or `templates/dev`, or
//! `templates` itself) pointing at a file of the CI machine. fanout refuses to write, read or
//! remove through a link in the output folder, and names it; it never replaces the link, so
//! what the link points at and the link itself stay as they are.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// How every template fanout writes begins: a `.json` file that does not begin so is not
/// fanout's, and is never removed.
const TEMPLATE_START: &[u8] = b"{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\"";

/// Refuses `path` if it is a link or exists as something else than a `folder` or file.
fn refuse_link(path: &Path, folder: bool) -> anyhow::Result<bool> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(err).with_context(|| format!("Cannot read `{}`", path.display())),
    };
    if metadata.file_type().is_symlink() {
        bail!(
            "`{}` is a link; fanout does not write through links\n  hint: remove the link; fanout then writes a {} there",
            path.display(),
            if folder { "folder" } else { "file" }
        );
    }
    let right = if folder { metadata.is_dir() } else { metadata.is_file() };
    if !right {
        bail!(
            "`{}` is not a {}\n  hint: move it away; fanout writes there",
            path.display(),
            if folder { "folder" } else { "file" }
        );
    }
    Ok(true)
}

/// Checks the output folder and its stage folder before anything there is read or written.
pub fn check_folders(out: &Path, stage_dir: &Path) -> anyhow::Result<()> {
    refuse_link(out, true)?;
    refuse_link(stage_dir, true)?;
    Ok(())
}

/// The bytes of the template at `path` if it exists, read up to one byte more than `limit`
/// (enough to tell it differs from a template of `limit` bytes); never through a link.
pub fn read_template(path: &Path, limit: usize) -> anyhow::Result<Option<Vec<u8>>> {
    if !refuse_link(path, false)? {
        return Ok(None);
    }
    let file = std::fs::File::open(path).with_context(|| format!("Cannot read `{}`", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).with_context(|| format!("Cannot read `{}`", path.display()))?;
    Ok(Some(bytes))
}

/// Writes `contents` to `path` through a temporary file in the same folder renamed into
/// place, so a reader never sees half a template; creates the folders it needs, never
/// through a link.
pub fn write_template(out: &Path, path: &Path, contents: &str) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(out);
    for folder in [out, dir] {
        if !refuse_link(folder, true)? {
            std::fs::create_dir_all(folder).with_context(|| format!("Cannot create `{}`", folder.display()))?;
            refuse_link(folder, true)?;
        }
    }
    replace(dir, path, contents)
}

/// Writes `contents` to the file `path` in the existing folder `dir` (`fanout.lock` at the
/// repo root) through a temporary file renamed into place; refuses, naming it, a `path` that
/// is a link or not a file.
pub fn write_file(dir: &Path, path: &Path, contents: &str) -> anyhow::Result<()> {
    refuse_link(path, false)?;
    replace(dir, path, contents)
}

/// Writes `contents` to a temporary file in `dir` and renames it to `path`, so a reader
/// never sees half a file and nothing is written through a link.
fn replace(dir: &Path, path: &Path, contents: &str) -> anyhow::Result<()> {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("template.json");
    let temporary = dir.join(format!(".{name}.fanout-tmp"));
    // A left-over temporary file (or a link planted under its name) goes first: the new one
    // is created only if nothing is there, so it is never opened through a link.
    match std::fs::symlink_metadata(&temporary) {
        Ok(metadata) if metadata.is_dir() => bail!("`{}` is a folder\n  hint: remove it", temporary.display()),
        Ok(_) => {
            std::fs::remove_file(&temporary).with_context(|| format!("Cannot remove `{}`", temporary.display()))?
        }
        Err(_) => {}
    }
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
        file.write_all(contents.as_bytes())?;
        std::fs::rename(&temporary, path)
    };
    write()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
        .with_context(|| format!("Cannot write `{}`", path.display()))
}

/// The templates fanout owns in `out`: `<stage>/<domain>.json` regular files, stage and
/// domain valid names, that begin as fanout's templates do; for the given stages or, when
/// empty, every stage folder. Links, other files and other folders are not fanout's.
pub fn owned_templates(out: &Path, stages: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if !refuse_link(out, true)? {
        return Ok(found);
    }
    let read_err = |dir: &Path| format!("Cannot read `{}`", dir.display());
    for entry in std::fs::read_dir(out).with_context(|| read_err(out))? {
        let entry = entry.with_context(|| read_err(out))?;
        let Some(stage) = entry.file_name().to_str().map(str::to_string) else { continue };
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if !is_dir || fanout::Name::new(&stage).is_err() || !(stages.is_empty() || stages.contains(&stage.as_str())) {
            continue;
        }
        let dir = entry.path();
        for file in std::fs::read_dir(&dir).with_context(|| read_err(&dir))? {
            let file = file.with_context(|| read_err(&dir))?;
            let path = file.path();
            let is_file = file.file_type().is_ok_and(|kind| kind.is_file());
            let domain =
                path.file_stem().and_then(|stem| stem.to_str()).filter(|stem| fanout::Name::new(*stem).is_ok());
            if is_file && domain.is_some() && path.extension().is_some_and(|ext| ext == "json") && is_template(&path) {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// Whether the regular file at `path` begins as every template fanout writes.
fn is_template(path: &Path) -> bool {
    let mut start = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(TEMPLATE_START.len() as u64).read_to_end(&mut start))
        .is_ok_and(|_| start == TEMPLATE_START)
}

/// Removes an owned template (see [`owned_templates`]).
pub fn remove_template(path: &Path) -> anyhow::Result<()> {
    refuse_link(path, false)?;
    std::fs::remove_file(path).with_context(|| format!("Cannot remove `{}`", path.display()))
}
