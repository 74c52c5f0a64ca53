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

/// How long a run may take before it counts as hung: generous, for a loaded machine.
pub const HANG_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

impl Run {
    /// Runs `command` with `stdin` as its input, killing it and failing the test if it takes
    /// longer than [`HANG_LIMIT`]: a hang is a failure, not a stuck test run.
    pub fn limited(mut command: Command, stdin: &[u8]) -> Self {
        use std::io::{Read, Write};
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run fanout: {err}"));
        // Input and output flow on their own threads, so a full pipe never looks like a hang.
        let input = stdin.to_vec();
        let mut pipe = child.stdin.take();
        let feeder = std::thread::spawn(move || {
            if let Some(pipe) = pipe.as_mut() {
                let _ = pipe.write_all(&input);
            }
        });
        let drain = |stream: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut stream) = stream {
                    let _ = stream.read_to_end(&mut bytes);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let stdout = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let stderr = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let start = std::time::Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() > HANG_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("fanout hung: killed after {HANG_LIMIT:?}: {command:?}");
                }
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(err) => panic!("cannot wait for fanout: {err}"),
            }
        };
        let _ = feeder.join();
        let joined = |handle: std::thread::JoinHandle<String>| handle.join().unwrap_or_default();
        Self { code: status.code().unwrap_or(-1), stdout: joined(stdout), stderr: joined(stderr) }
    }
}

/// Runs `fanout` in `dir` as [`fanout`] does, failing on a hang (see [`Run::limited`]).
pub fn fanout_limited(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    Run::limited(fanout_command(dir, args), stdin).to_string().replace(&dir.display().to_string(), "[DIR]")
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
    /// domains' tests deploy, with the event schemas they name.
    pub fn seed() -> Self {
        let domains = repo_root().join("domains");
        let mut manifests = Vec::new();
        for name in ["ingestion.yaml", "scoring.yaml", "reporting.yaml"] {
            let text = std::fs::read_to_string(domains.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"));
            manifests.push((name, text));
        }
        let borrowed: Vec<(&str, &str)> = manifests.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let repo = Self::new(&borrowed);
        let schemas = repo.path().join("domains/schemas");
        std::fs::create_dir(&schemas).unwrap_or_else(|err| panic!("{err}"));
        for entry in std::fs::read_dir(domains.join("schemas")).unwrap_or_else(|err| panic!("schemas: {err}")) {
            let path = entry.unwrap_or_else(|err| panic!("schemas: {err}")).path();
            let name = path.file_name().unwrap_or_else(|| panic!("{}: no name", path.display()));
            std::fs::copy(&path, schemas.join(name)).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        }
        repo
    }

    /// Writes (or replaces) `domains/<name>`.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join("domains").join(name), text).unwrap_or_else(|err| panic!("{name}: {err}"));
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
