//! One module per command; each takes checked arguments and returns an [`crate::Outcome`].

pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod event;
pub mod graph;
pub mod lookup;
pub mod schema;
pub mod synth;
pub mod validate;

use fanout::Project;

use crate::workspace::Workspace;
use crate::{GlobalArgs, render};

/// Loads the project and prints its diagnostics; `None` when it has errors.
pub fn load_checked(global: &GlobalArgs, workspace: &Workspace) -> anyhow::Result<Option<Project>> {
    let (project, diagnostics) = workspace.load()?;
    render::diagnostics(&diagnostics, global.quiet);
    Ok(project)
}
