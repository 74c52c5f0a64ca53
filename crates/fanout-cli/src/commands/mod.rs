//! One module per command; each takes checked arguments and returns an [`crate::Outcome`].

pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod event;
pub mod graph;
pub mod lock;
pub mod lookup;
pub mod peek;
pub mod publish;
pub mod redrive;
pub mod schema;
pub mod status;
pub mod synth;
pub mod validate;

use std::path::Path;

use fanout::{Diagnostics, Project};

use crate::workspace::Workspace;
use crate::{GlobalArgs, annotate, render};

/// Output for a person or for a script, for commands whose output is not diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// How a command shows the manifests' diagnostics: to a person, or to a CI system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagnosticFormat {
    // The house format on stderr, each with its source line. (Plain comments: doc comments
    // here would turn `--help` into its long form.)
    #[default]
    Text,
    // GitHub workflow commands on stdout, shown as annotations on the pull request's diff.
    Github,
    // One SARIF 2.1.0 log on stdout, for code scanning.
    Sarif,
}

impl DiagnosticFormat {
    /// Shows `diagnostics`, with files named relative to the repo `root` in the CI formats.
    pub fn show(self, diagnostics: &Diagnostics, root: &Path, quiet: bool) -> anyhow::Result<()> {
        match self {
            Self::Text => render::diagnostics(diagnostics, quiet),
            Self::Github => print!("{}", annotate::github(diagnostics, root)),
            Self::Sarif => println!("{}", serde_json::to_string_pretty(&annotate::sarif(diagnostics, root))?),
        }
        Ok(())
    }
}

/// Loads the project and prints its diagnostics; `None` when it has errors.
pub fn load_checked(global: &GlobalArgs, workspace: &Workspace) -> anyhow::Result<Option<Project>> {
    let (project, diagnostics) = workspace.load()?;
    render::diagnostics(&diagnostics, global.quiet);
    Ok(project)
}
