//! `billing-domain`: print what the `fanout` CLI needs from the billing domain.
//!
//! ```text
//! billing-domain manifest                     the manifest, for `domains/billing.yaml`
//! billing-domain template <stage> [--yaml] [--out <file>]
//!                                             the CloudFormation template for a stage
//! ```
//!
//! Exit codes: 0 success, 1 the domain is invalid (diagnostics on stderr), 2 usage error.

use std::process::ExitCode;

const USAGE: &str = "usage: billing-domain manifest | billing-domain template <stage> [--yaml] [--out <file>]";

/// The header of the generated manifest, so nobody edits it by hand.
const MANIFEST_HEADER: &str =
    "# Generated from src/lib.rs by `cargo run -- manifest > domains/billing.yaml`; do not edit.\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["manifest"] => {
            print!("{MANIFEST_HEADER}{}", billing_domain::billing().to_manifest_yaml());
            ExitCode::SUCCESS
        }
        ["template", stage, options @ ..] => template(stage, options),
        _ => usage_error("expected `manifest` or `template <stage>`"),
    }
}

fn template(stage: &str, options: &[&str]) -> ExitCode {
    let (mut yaml, mut out) = (false, None);
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match *option {
            "--yaml" => yaml = true,
            "--out" => match options.next() {
                Some(path) => out = Some(*path),
                None => return usage_error("`--out` needs a file"),
            },
            other => return usage_error(&format!("unknown option `{other}`")),
        }
    }
    let project = match billing_domain::project() {
        Ok(project) => project,
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            return ExitCode::from(1);
        }
    };
    let template = match project.template("billing", stage) {
        Ok(template) => template,
        Err(err) => return usage_error(&err.to_string()),
    };
    let text = if yaml { template.to_yaml() } else { template.to_json() };
    match out {
        None => print!("{text}"),
        Some(path) => {
            if let Err(err) = std::fs::write(path, text) {
                eprintln!("error: cannot write `{path}`: {err}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n{USAGE}");
    ExitCode::from(2)
}
