//! `fanout-bench`: the helpers `scripts/bench` runs besides `fanout` itself.
//!
//! - `gen-org`: writes a synthetic organization (see the library).
//! - `pack` and `write-floor`: the write-only floor, a process that writes the same bytes to
//!   the same file layout as `fanout synth`, with the same number of threads, and does nothing
//!   else. The bytes come from one packed file read at start (one sequential read from the
//!   page cache), so the floor pays for creating folders and files and copying bytes into the
//!   kernel, which synth cannot avoid either.

#![allow(clippy::print_stderr, reason = "a command-line tool: usage and errors go to stderr")]

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fanout_bench::{OrgSpec, generate};

const USAGE: &str = "usage:
  fanout-bench gen-org --domains N --topics M [--seed S] [--stages dev,prod] [--independent] <DIR>
  fanout-bench pack <TEMPLATES_DIR> <PACK_FILE>
  fanout-bench write-floor <PACK_FILE> <OUT_DIR>";

fn main() -> std::process::ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}\n{USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    let Some((command, rest)) = args.split_first() else { bail!("no command given") };
    match command.as_str() {
        "gen-org" => gen_org(rest),
        "pack" => match rest {
            [tree, pack_file] => pack(Path::new(tree), Path::new(pack_file)),
            _ => bail!("`pack` takes a templates folder and a pack file"),
        },
        "write-floor" => match rest {
            [pack_file, out] => write_floor(Path::new(pack_file), Path::new(out)),
            _ => bail!("`write-floor` takes a pack file and an output folder"),
        },
        other => bail!("unknown command `{other}`"),
    }
}

fn gen_org(args: &[String]) -> anyhow::Result<()> {
    let mut spec = OrgSpec::new(50, 10);
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().with_context(|| format!("`{flag}` needs a value")).cloned();
        match arg.as_str() {
            "--domains" => spec.domains = value(arg)?.parse().context("`--domains` takes a number")?,
            "--topics" => spec.topics = value(arg)?.parse().context("`--topics` takes a number")?,
            "--seed" => spec.seed = value(arg)?.parse().context("`--seed` takes a number")?,
            "--stages" => spec.stages = value(arg)?.split(',').map(str::to_string).collect(),
            "--independent" => spec.cross_domain_percent = 0,
            flag if flag.starts_with('-') => bail!("unknown flag `{flag}`"),
            path => dir = Some(PathBuf::from(path)),
        }
    }
    let dir = dir.context("no output folder given")?;
    if dir.join("domains").exists() {
        bail!("`{}` already holds a `domains/` folder; give an empty or new folder", dir.display());
    }
    let org = generate(&spec);
    org.write(&dir).with_context(|| format!("Cannot write into `{}`", dir.display()))?;
    eprintln!(
        "wrote {} domains × {} topics and queues ({} bytes of manifests) into `{}`",
        spec.domains,
        spec.topics,
        org.manifest_bytes(),
        dir.display()
    );
    Ok(())
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path, prefix: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("Cannot read `{}`", dir.display()))? {
        let entry = entry?;
        let relative = prefix.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            files_under(&entry.path(), &relative, found)?;
        } else {
            found.push(relative);
        }
    }
    Ok(())
}

/// Packs a tree into one file: per file a line `<relative path>\t<length>` and the bytes.
fn pack(tree: &Path, pack_file: &Path) -> anyhow::Result<()> {
    let mut files = Vec::new();
    files_under(tree, Path::new(""), &mut files)?;
    files.sort();
    let mut out = Vec::new();
    for file in &files {
        let bytes = std::fs::read(tree.join(file))?;
        out.extend_from_slice(format!("{}\t{}\n", file.display(), bytes.len()).as_bytes());
        out.extend_from_slice(&bytes);
    }
    std::fs::write(pack_file, out).with_context(|| format!("Cannot write `{}`", pack_file.display()))
}

fn unpack(bytes: &[u8]) -> anyhow::Result<Vec<(&str, &[u8])>> {
    let mut files = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n').context("truncated pack header")?;
        let header = std::str::from_utf8(&rest[..end])?;
        let (path, len) = header.split_once('\t').context("malformed pack header")?;
        let len: usize = len.parse()?;
        let body = rest.get(end + 1..end + 1 + len).context("truncated pack body")?;
        files.push((path, body));
        rest = &rest[end + 1 + len..];
    }
    Ok(files)
}

/// Writes the packed files under `out` the way `fanout synth` writes templates: one chunk of
/// files per core, `create_dir_all` of the parent and one `write` per file.
fn write_floor(pack_file: &Path, out: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(pack_file).with_context(|| format!("Cannot read `{}`", pack_file.display()))?;
    let files = unpack(&bytes)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> std::io::Result<()> {
                    for (path, body) in part {
                        let path = out.join(path);
                        if let Some(parent) = path.parent() {
                            std::fs::create_dir_all(parent)?;
                        }
                        std::fs::write(&path, body)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| anyhow::anyhow!("a writer thread stopped"))??;
        }
        Ok(())
    })
}
