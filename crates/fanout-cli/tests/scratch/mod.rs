//! The harness of every CLI test target: a scratch repo written by a test, and `fanout` run
//! in it (or in this repo) with a clean environment, its exit code and output as one text.

// Each test target uses its own part of this module.
#![allow(dead_code)]
#![allow(clippy::panic, reason = "the harness stops a test at the step that failed, as the tests themselves do")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This repo's own folder, whose `domains/` is the seed scenario.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `fanout` in `dir`, with nothing from the caller's AWS setup, color or CI settings.
pub fn fanout_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    command
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FANOUT_TEMPLATE_BUCKET");
    command
}

/// Runs `fanout` in `dir` and renders what it did, with `dir` itself written `[DIR]`.
pub fn fanout(dir: &Path, args: &[&str]) -> String {
    Run::of(fanout_command(dir, args)).to_string().replace(&dir.display().to_string(), "[DIR]")
}

/// What a `fanout` run did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(mut command: Command) -> Self {
        Self::from(command.output().unwrap_or_else(|err| panic!("cannot run fanout: {err}")))
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// A scratch repo: `fanout.yaml` and `domains/*.yaml`, written by the test.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new(manifests: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("temp dir: {err}"));
        std::fs::write(dir.path().join("fanout.yaml"), "ssm_prefix: /fanout\nstages: [dev]\n")
            .unwrap_or_else(|err| panic!("{err}"));
        std::fs::create_dir(dir.path().join("domains")).unwrap_or_else(|err| panic!("{err}"));
        let repo = Self { dir };
        for (name, text) in manifests {
            repo.write(name, text);
        }
        repo
    }

    /// The seed scenario: a copy of this repo's `domains/`, whose manifests the seed
    /// domains' tests deploy.
    pub fn seed() -> Self {
        let domains = repo_root().join("domains");
        let mut manifests = Vec::new();
        for name in ["ingestion.yaml", "scoring.yaml", "reporting.yaml"] {
            let text = std::fs::read_to_string(domains.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"));
            manifests.push((name, text));
        }
        let borrowed: Vec<(&str, &str)> = manifests.iter().map(|(n, t)| (*n, t.as_str())).collect();
        Self::new(&borrowed)
    }

    /// Writes (or replaces) `domains/<name>`.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join("domains").join(name), text).unwrap_or_else(|err| panic!("{name}: {err}"));
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
