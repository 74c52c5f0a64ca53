//! `fanout validate`: check every manifest.

use std::path::PathBuf;

use crate::commands::DiagnosticFormat;
use crate::workspace::Workspace;
use crate::{GlobalArgs, Outcome, render};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The folder of domain manifests [default: `domains/` of the repo]
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,

    /// Output format: `json` prints the diagnostics as one JSON document on stdout; `github`
    /// prints GitHub workflow commands (annotations on a pull request); `sarif` one SARIF 2.1.0 log
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
    Sarif,
}

pub fn run(global: &GlobalArgs, args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let workspace = Workspace::discover(global, args.manifests.as_deref())?;
    let (project, diagnostics) = workspace.load()?;
    let annotations = match args.format {
        Format::Github => Some(DiagnosticFormat::Github),
        Format::Sarif => Some(DiagnosticFormat::Sarif),
        Format::Text | Format::Json => None,
    };
    if let Some(format) = annotations {
        format.show(&diagnostics, &workspace.root, global.quiet)?;
    } else if args.format == Format::Json {
        let document = serde_json::json!({
            "valid": project.is_some(),
            "errors": diagnostics.error_count(),
            "warnings": diagnostics.warning_count(),
            "diagnostics": diagnostics,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        render::diagnostics(&diagnostics, global.quiet);
        if let Some(project) = &project {
            let warnings = match diagnostics.warning_count() {
                0 => String::new(),
                n => format!(" ({})", render::plural(n, "warning")),
            };
            render::note(
                global.quiet,
                format_args!(
                    "Checked {} in `{}`: valid{warnings}",
                    render::plural(project.domains.len(), "domain"),
                    workspace.manifests.display()
                ),
            );
        }
    }
    Ok(if project.is_some() { Outcome::Success } else { Outcome::ActionNeeded })
}
