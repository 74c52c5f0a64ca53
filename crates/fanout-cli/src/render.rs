//! How the CLI shows diagnostics, errors and notes on stderr; readable without color.

use std::io::Write;

use fanout::{Diagnostic, Diagnostics, Severity};

use crate::style::{BOLD, DIM, ERROR, HINT, WARNING};

/// `err` as an `anyhow` error whose message carries the `hint:` line, when there is a hint.
pub fn with_hint<E>(err: E, hint: Option<String>) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    match hint {
        Some(hint) => anyhow::anyhow!("{err}\n  hint: {hint}"),
        None => anyhow::Error::new(err),
    }
}

/// An error that stopped a command, with its causes.
pub fn error(err: &anyhow::Error) {
    let mut out = anstream::stderr().lock();
    let _ = writeln!(out, "{ERROR}error{ERROR:#}: {err}");
    for cause in err.chain().skip(1) {
        let _ = writeln!(out, "  {DIM}caused by{DIM:#}: {cause}");
    }
}

/// A diagnostic in the house format, with the offending source line when the file is known.
pub fn diagnostic(diagnostic: &Diagnostic) {
    let mut out = anstream::stderr().lock();
    let (label, style) = match diagnostic.severity {
        Severity::Error => ("error", ERROR),
        Severity::Warning => ("warning", WARNING),
    };
    let _ = writeln!(out, "{style}{label}{style:#}{BOLD}: {}{BOLD:#}", diagnostic.message);
    if let Some(location) = &diagnostic.location {
        let _ = writeln!(out, "  {DIM}-->{DIM:#} {location}");
    } else if let Some(domain) = &diagnostic.domain {
        let _ = writeln!(out, "  {DIM}-->{DIM:#} domain `{domain}`");
    }
    if !diagnostic.path.is_root() {
        let _ = writeln!(out, "  {DIM}={DIM:#} field: {}", diagnostic.path);
    }
    if let Some(hint) = &diagnostic.hint {
        let _ = writeln!(out, "  {HINT}hint{HINT:#}: {hint}");
    }
}

/// Every diagnostic, then a summary line.
pub fn diagnostics(diagnostics: &Diagnostics, quiet: bool) {
    for d in diagnostics {
        if !(quiet && d.severity == Severity::Warning) {
            diagnostic(d);
        }
    }
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    if errors > 0 {
        let mut out = anstream::stderr().lock();
        let warnings = if warnings > 0 { format!(" and {}", plural(warnings, "warning")) } else { String::new() };
        let _ = writeln!(out, "{ERROR}error{ERROR:#}: found {}{warnings}", plural(errors, "error"));
    }
}

/// A warning that does not stop the command, unless `--quiet`.
pub fn warning(quiet: bool, message: impl std::fmt::Display) {
    if !quiet {
        let mut out = anstream::stderr().lock();
        let _ = writeln!(out, "{WARNING}warning{WARNING:#}: {message}");
    }
}

/// A progress or result line for people, unless `--quiet`.
pub fn note(quiet: bool, message: impl std::fmt::Display) {
    if !quiet {
        let mut out = anstream::stderr().lock();
        let _ = writeln!(out, "{message}");
    }
}

/// `count` and `noun`, plural unless the count is one: `1 error`, `2 errors`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}
