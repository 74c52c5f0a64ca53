//! Which stages and domains a command works on: names from the command line, checked
//! against the repo, with one message for each kind of unknown name.

use anyhow::bail;
use fanout::diagnostic::quote_list;
use fanout::{Name, Project};

use crate::GlobalArgs;
use crate::render;
use crate::workspace::Workspace;

/// The stage named `name`, one of `stages` in `fanout.yaml`.
pub fn stage(project: &Project, name: &str) -> anyhow::Result<Name> {
    match project.settings.stage(name) {
        Ok(stage) => Ok(stage.clone()),
        Err(err) => {
            let hint = err.hint();
            Err(render::with_hint(err, hint))
        }
    }
}

/// The named stages; every stage of `fanout.yaml` when none is named.
pub fn stages(project: &Project, names: &[String]) -> anyhow::Result<Vec<Name>> {
    if names.is_empty() {
        return Ok(project.settings.stages.clone());
    }
    names.iter().map(|name| stage(project, name)).collect()
}

/// The named domains, checked against the repo; every domain when none is named.
pub fn domains(project: &Project, names: &[String]) -> anyhow::Result<Vec<Name>> {
    let mut chosen = Vec::new();
    for name in names {
        let found = Name::new(name.as_str()).ok().filter(|n| project.domains.contains_key(n));
        let Some(found) = found else {
            bail!(
                "There is no domain `{name}` in this repo\n  hint: the domains are {}",
                quote_list(project.domains.keys())
            );
        };
        if !chosen.contains(&found) {
            chosen.push(found);
        }
    }
    Ok(chosen)
}

/// The checked project, stage and domains of a `deploy` or `diff`; `None` when the
/// manifests have errors (already printed).
pub fn load(
    global: &GlobalArgs,
    stage_name: &str,
    names: &[String],
) -> anyhow::Result<Option<(Project, Name, Vec<Name>)>> {
    let workspace = Workspace::discover(global, None)?;
    let Some(project) = crate::commands::load_checked(global, &workspace)? else {
        return Ok(None);
    };
    let stage = stage(&project, stage_name)?;
    let chosen = domains(&project, names)?;
    Ok(Some((project, stage, chosen)))
}
