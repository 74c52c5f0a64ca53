//! The AWS emulator for end-to-end tests: started by each test on a free loopback port,
//! through the repo's launcher (ministack with our provisioning fixes, `AUTH=true`), and
//! stopped by its PID when the test ends.
//!
//! It serves HTTPS with a certificate from a throwaway test CA: with `AUTH=true` the
//! emulator evaluates `aws:SecureTransport` from the real connection, so over plain HTTP
//! the TLS-only deny statements fanout's templates carry would refuse every publish and
//! receive, as AWS would. `fanout` trusts the CA through `SSL_CERT_FILE`, the tests' own
//! SDK clients through their HTTP client.

// Each test target uses its own part of this module.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::scratch::{Run, fanout_command, repo_root};

/// A running emulator; killed (by the PID started here) on drop.
pub struct Emulator {
    child: Child,
    pub port: u16,
    /// The emulator's own Python, which has boto3.
    pub python: PathBuf,
    /// The test CA's certificate, which clients trust.
    pub ca: PathBuf,
    _tls: tempfile::TempDir,
}

impl Emulator {
    /// Starts the emulator and waits until it answers. Fails the test, never skips it, when
    /// the emulator is not installed.
    pub fn start() -> Emulator {
        Self::start_with(&[])
    }

    /// [`Emulator::start`] with more arguments for the launcher, like
    /// `--stack-operation-delay 2`.
    pub fn start_with(launcher_args: &[&str]) -> Emulator {
        let root = repo_root();
        let python = std::env::var_os("FANOUT_MINISTACK_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/ministack/bin/python"));
        let launcher = std::env::var_os("FANOUT_MINISTACK_LAUNCHER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("tests/emulator/launch_ministack.py"));
        assert!(
            python.exists(),
            "the AWS emulator is not installed: `{}` is missing\n  hint: run ./scripts/test (or scripts/bootstrap-tools) once; it installs ministack into .tools/",
            python.display()
        );
        assert!(launcher.exists(), "the emulator launcher `{}` is missing", launcher.display());
        let tls = tempfile::tempdir().unwrap_or_else(|err| panic!("temp dir: {err}"));
        let ca = test_certificates(tls.path());
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&python)
                .arg(&launcher)
                .arg("--port")
                .arg(port.to_string())
                .args(launcher_args)
                .env("USE_SSL", "1")
                .env("MINISTACK_SSL_CERT", tls.path().join("server.pem"))
                .env("MINISTACK_SSL_KEY", tls.path().join("server.key"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|err| panic!("cannot start `{}`: {err}", python.display()));
            let ready =
                https(&python, &ca, port, "GET", "/_ministack/health", "", 30).is_some_and(|(status, _)| status == 200);
            if ready {
                // Nobody reads the launcher's stderr from here on; let it go nowhere.
                drop(child.stderr.take());
                return Emulator { child, port, python, ca, _tls: tls };
            }
            if let Ok(Some(_)) = child.try_wait()
                && let Some(mut pipe) = child.stderr.take()
            {
                let _ = pipe.read_to_string(&mut last_error);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the emulator did not start:\n{last_error}");
    }

    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// An HTTPS request to the emulator: the status and body.
    pub fn request(&self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        https(&self.python, &self.ca, self.port, method, path, body, 10)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // `Child::kill` signals exactly the process this harness started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|err| panic!("no free port on 127.0.0.1: {err}"))
}

/// Makes a throwaway CA and a server certificate for 127.0.0.1 signed by it (a self-signed
/// server certificate is refused by rustls as "CA used as end entity"); returns the CA.
fn test_certificates(dir: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|err| panic!("cannot run `openssl` to make the emulator's test certificate: {err}"));
        assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=fanout-test-ca",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        .unwrap_or_else(|err| panic!("{err}"));
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    dir.join("ca.pem")
}

/// An HTTPS request to the emulator on loopback, made by the emulator's own Python (the
/// tests need no HTTP client of their own); retried for up to `seconds`.
fn https(
    python: &Path,
    ca: &Path,
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    seconds: u32,
) -> Option<(u16, String)> {
    const SCRIPT: &str = r#"
import ssl, sys, time, urllib.request, urllib.error
ca, url, method, body, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
context = ssl.create_default_context(cafile=ca)
deadline = time.monotonic() + seconds
while True:
    request = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            print(response.status); print(response.read().decode()); break
    except urllib.error.HTTPError as err:
        print(err.code); print(err.read().decode()); break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.1)
"#;
    let url = format!("https://127.0.0.1:{port}{path}");
    let output = Command::new(python)
        .args(["-c", SCRIPT])
        .arg(ca)
        .args([url.as_str(), method, body, &seconds.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (status, body) = text.split_once('\n')?;
    Some((status.trim().parse().ok()?, body.to_string()))
}

/// One AWS account in the emulator: any 12-digit access key is its own isolated account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub endpoint: String,
    ca: PathBuf,
}

impl Account {
    pub fn new(emulator: &Emulator, id: &str) -> Self {
        Self { id: id.to_string(), endpoint: emulator.endpoint(), ca: emulator.ca.clone() }
    }

    /// The SDK configuration for this account.
    pub async fn config(&self) -> aws_config::SdkConfig {
        use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
        let pem = std::fs::read(&self.ca).unwrap_or_else(|err| panic!("{}: {err}", self.ca.display()));
        let context = TlsContext::builder()
            .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
            .build()
            .unwrap_or_else(|err| panic!("TLS context: {err}"));
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https();
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http_client)
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sns::config::Credentials::new(&self.id, "test", None, None, "e2e"))
            .load()
            .await
    }

    /// Runs `fanout` in `dir` against this account.
    pub fn fanout(&self, dir: &Path, args: &[&str]) -> Run {
        self.fanout_with_env(dir, args, &[])
    }

    /// Runs `fanout` in `dir` against this account, with extra environment variables.
    pub fn fanout_with_env(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(dir, args);
        command.envs(env.iter().copied());
        Run::of(command)
    }

    /// `fanout` in `dir` against this account, to be started by the caller.
    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = fanout_command(dir, args);
        command
            .env("AWS_ACCESS_KEY_ID", &self.id)
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("SSL_CERT_FILE", &self.ca);
        command
    }
}

/// Writes the String parameter `name`, as a stack of another repo or another tool would.
pub async fn put_parameter(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{name}: {err:?}"));
}
