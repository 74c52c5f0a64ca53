//! `fanout synth`: write (or with `--check`, compare) `templates/<stage>/<domain>.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fanout::{Diagnostic, DiagnosticKind, FieldPath, Location, Name};

use crate::commands::DiagnosticFormat;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, output, render, selection};

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Only these stages [default: every stage in `fanout.yaml`]
    #[arg(long = "stage", value_name = "STAGE")]
    pub stages: Vec<String>,

    /// Write nothing; exit 1 if any template is stale, missing or extra
    #[arg(long)]
    pub check: bool,

    /// The folder of domain manifests [default: `domains/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,

    /// The folder to write templates into [default: `templates/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// How diagnostics (and, with `--check`, templates that differ) are shown: `github` prints
    /// GitHub workflow commands (annotations on a pull request), `sarif` one SARIF 2.1.0 log
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

/// What happened to one template file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Unchanged,
    Stale,
    Missing,
    Extra,
}

pub fn run(global: &GlobalArgs, args: &SynthArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, args.manifests.as_deref())?;
    let (project, mut diagnostics) = workspace.load()?;
    let text = args.format == DiagnosticFormat::Text;
    if text {
        render::diagnostics(&diagnostics, global.quiet);
    }
    let Some(project) = project else {
        if !text {
            args.format.show(&diagnostics, &workspace.root, global.quiet)?;
        }
        return Ok(Outcome::ActionNeeded);
    };
    let out = match &args.out {
        Some(out) => out.clone(),
        None => workspace.root.join("templates"),
    };
    let stages = selection::stages(&project, &args.stages)?;

    let mut jobs = Vec::new();
    for stage in &stages {
        for domain in project.domains.keys() {
            jobs.push((stage, domain, out.join(stage.as_str()).join(format!("{domain}.json"))));
        }
    }
    for stage in &stages {
        output::check_folders(&out, &out.join(stage.as_str()))?;
    }
    let results = fanout::parallel::map(&jobs, |(stage, domain, path)| {
        let template = fanout::synth(&project, &project.domains[*domain], stage);
        sync_file(&out, path, &template.to_json(), args.check)
    })
    .into_iter()
    .collect::<anyhow::Result<Vec<Status>>>()?;
    let mut report: Vec<(Status, PathBuf)> =
        jobs.iter().zip(results).map(|((_, _, path), status)| (status, path.clone())).collect();

    // Templates of domains or stages that no longer exist.
    let expected: BTreeSet<&PathBuf> = jobs.iter().map(|(_, _, path)| path).collect();
    // With `--stage`, only those stages' folders are ours to compare; else every folder is.
    let scope: Vec<&str> = if args.stages.is_empty() { Vec::new() } else { stages.iter().map(Name::as_str).collect() };
    for path in output::owned_templates(&out, &scope)? {
        if !expected.contains(&path) {
            if !args.check {
                output::remove_template(&path)?;
            }
            report.push((Status::Extra, path));
        }
    }
    report.sort();

    let changed: Vec<&(Status, PathBuf)> = report.iter().filter(|(status, _)| *status != Status::Unchanged).collect();
    if args.check && !text {
        // One document for CI: the manifests' diagnostics and every template that differs.
        for (status, path) in &changed {
            diagnostics.push(differs(*status, path));
        }
        args.format.show(&diagnostics, &workspace.root, global.quiet)?;
        return Ok(if changed.is_empty() { Outcome::Success } else { Outcome::ActionNeeded });
    }
    if args.check {
        for (status, path) in &changed {
            let what = match status {
                Status::Stale => "stale",
                Status::Missing => "missing",
                Status::Extra => "extra",
                Status::Unchanged => continue,
            };
            eprintln!("{what}: {}", path.display());
        }
        if !changed.is_empty() {
            eprintln!(
                "error: {} in `{}` {} not match the manifests\n  hint: run `fanout synth` and commit the result",
                render::plural(changed.len(), "template"),
                out.display(),
                if changed.len() == 1 { "does" } else { "do" },
            );
            return Ok(Outcome::ActionNeeded);
        }
        render::note(
            global.quiet,
            format_args!("{} in `{}` up to date", render::plural(jobs.len(), "template"), out.display()),
        );
        return Ok(Outcome::Success);
    }
    for (status, path) in &changed {
        let what = match status {
            Status::Stale => "updated",
            Status::Missing => "created",
            Status::Extra => "removed",
            Status::Unchanged => continue,
        };
        render::note(global.quiet, format_args!("{what} {}", path.display()));
    }
    render::note(
        global.quiet,
        format_args!(
            "Synthesized {} into `{}` ({} changed)",
            render::plural(jobs.len(), "template"),
            out.display(),
            changed.len()
        ),
    );
    if !text {
        args.format.show(&diagnostics, &workspace.root, global.quiet)?;
    }
    Ok(Outcome::Success)
}

/// A template that differs from what the manifests synthesize, as a diagnostic for CI.
fn differs(status: Status, path: &Path) -> Diagnostic {
    let what = match status {
        Status::Stale => "is stale: the manifests synthesize another template",
        Status::Missing => "is missing: the manifests synthesize it",
        Status::Extra => "is extra: no domain or stage of the manifests makes it",
        Status::Unchanged => "is up to date",
    };
    let mut diagnostic = Diagnostic::error(
        DiagnosticKind::StaleTemplate,
        FieldPath::root(),
        format!("template `{}` {what}", path.display()),
    )
    .with_hint("run `fanout synth` and commit the result");
    if status != Status::Missing {
        diagnostic.location = Some(Location { file: path.to_path_buf(), line: 1, column: 1 });
    }
    diagnostic
}

/// Brings `path` to `contents` (or, when checking, only compares), writing only on change.
fn sync_file(out: &Path, path: &Path, contents: &str, check: bool) -> anyhow::Result<Status> {
    let status = match output::read_template(path, contents.len())? {
        Some(existing) if existing == contents.as_bytes() => return Ok(Status::Unchanged),
        Some(_) => Status::Stale,
        None => Status::Missing,
    };
    if !check {
        output::write_template(out, path, contents)?;
    }
    Ok(status)
}
