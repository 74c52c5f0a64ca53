//! The fault-injecting proxy (`tests/emulator/fault_proxy.py`) for end-to-end tests: started
//! on a free loopback port in front of a test's emulator, with the test's rules and seed, and
//! stopped by its PID when the test ends. `fanout` talks plain HTTP to it; it talks HTTPS to
//! the emulator.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::emulator::Emulator;
use crate::scratch::repo_root;

/// A running proxy; killed (by the PID started here) on drop.
pub struct FaultProxy {
    child: Child,
    pub port: u16,
    /// The seed of the proxy's random draws, for the failure messages of a test.
    pub seed: u64,
    log: tempfile::NamedTempFile,
}

/// The seed for a test's random faults: `FANOUT_FAULT_SEED` to replay a failure, else new
/// for every run (so runs cover different faults), always named in the test's messages.
pub fn seed() -> u64 {
    std::env::var("FANOUT_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64 % 1_000_000_007)
    })
}

impl FaultProxy {
    /// Starts the proxy in front of `emulator` with `rules` (see the proxy's documentation).
    pub fn start(emulator: &Emulator, rules: &serde_json::Value, seed: u64) -> FaultProxy {
        let script = repo_root().join("tests/emulator/fault_proxy.py");
        let log = tempfile::NamedTempFile::new().unwrap_or_else(|err| panic!("temp file: {err}"));
        let mut child = Command::new(&emulator.python)
            .arg(&script)
            .args(["--upstream", &emulator.endpoint(), "--ca"])
            .arg(&emulator.ca)
            .args(["--rules", &rules.to_string(), "--seed", &seed.to_string(), "--log"])
            .arg(log.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start `{}`: {err}", script.display()));
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let Some(port) = line.trim().strip_prefix("listening on ").and_then(|p| p.parse().ok()) else {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = child.kill();
                let _ = pipe.read_to_string(&mut stderr);
            }
            let _ = child.wait();
            panic!("the fault proxy did not start: {line}{stderr}");
        };
        drop(child.stderr.take());
        FaultProxy { child, port, seed, log }
    }

    /// The endpoint for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A control request to the proxy itself: the body of its answer.
    fn control(&self, method: &str, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap_or_else(|err| panic!("proxy: {err}"));
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap_or_else(|err| panic!("proxy: {err}"));
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap_or_else(|err| panic!("proxy: {err}"));
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("proxy answered {answer:?}"));
        assert!(head.starts_with("HTTP/1.1 200"), "proxy answered {answer:?}");
        body.to_string()
    }

    /// Requests received, forwarded and faulted per action, and the change sets forwarded to
    /// `ExecuteChangeSet`.
    pub fn counts(&self) -> serde_json::Value {
        serde_json::from_str(&self.control("GET", "/_proxy/counts", "")).unwrap_or_else(|err| panic!("counts: {err}"))
    }

    /// How many requests of `action` the proxy received.
    pub fn received(&self, action: &str) -> u64 {
        self.counts()["received"][action].as_u64().unwrap_or(0)
    }

    /// Replaces the rules.
    pub fn set_rules(&self, rules: &serde_json::Value) {
        self.control("POST", "/_proxy/rules", &rules.to_string());
    }

    /// Waits until `done` holds for the counts, or fails the test after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let counts = self.counts();
            if done(&counts) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; proxy counts: {counts}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last requests the proxy saw, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// What a failure message says about the proxy: its seed (to replay with
    /// `FANOUT_FAULT_SEED`), its counts and its last requests.
    pub fn context(&self) -> String {
        format!(
            "fault seed {} (replay with FANOUT_FAULT_SEED={}); proxy counts: {}\nlast requests:\n{}",
            self.seed,
            self.seed,
            self.counts(),
            self.log_tail()
        )
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // `Child::kill` signals exactly the process this harness started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` (like `INT` or `TERM`) to the process `pid`, which the test started.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|err| panic!("cannot run `kill`: {err}"));
    assert!(status.success(), "kill -{signal} {pid} failed");
}
