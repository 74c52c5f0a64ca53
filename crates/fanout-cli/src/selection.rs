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

/// `DOMAIN/NAME` from the command line: the domain, checked against the repo, and the name
/// of a queue or topic in it, looked up in `members` (its queues or topics). `kind` (`queue`,
/// `topic`) and `example` are for the messages.
fn member<'p, T>(
    project: &'p Project,
    text: &str,
    kind: &str,
    example: &str,
    members: impl Fn(&'p fanout::Domain) -> &'p std::collections::BTreeMap<Name, T>,
) -> anyhow::Result<(Name, &'p Name, &'p T)> {
    let Some((domain, name)) = text.split_once('/').filter(|(d, n)| !d.is_empty() && !n.is_empty()) else {
        bail!("`{text}` is not `DOMAIN/{}`\n  hint: write it like `{example}`", kind.to_uppercase());
    };
    let Some(domain) = domains(project, &[domain.to_string()])?.pop() else { bail!("No domain given") };
    let Some(declared) = project.domains.get(&domain).map(members) else { bail!("No domain `{domain}`") };
    match Name::new(name).ok().and_then(|n| declared.get_key_value(&n)) {
        Some((name, found)) => Ok((domain, name, found)),
        None if declared.is_empty() => bail!("Domain `{domain}` has no {kind} `{name}`\n  hint: it has no {kind}s"),
        None => {
            bail!("Domain `{domain}` has no {kind} `{name}`\n  hint: its {kind}s are {}", quote_list(declared.keys()))
        }
    }
}

/// The queue named `DOMAIN/QUEUE`, checked against the repo: its domain, name and declaration.
pub fn queue<'p>(project: &'p Project, text: &str) -> anyhow::Result<(Name, Name, &'p fanout::Queue)> {
    let (domain, name, queue) = member(project, text, "queue", "scoring/scoring-runs", |d| &d.queues)?;
    Ok((domain, name.clone(), queue))
}

/// The topic named `DOMAIN/TOPIC`, checked against the repo: its reference and declaration.
pub fn topic<'p>(project: &'p Project, text: &str) -> anyhow::Result<(fanout::TopicRef, &'p fanout::Topic)> {
    let (domain, name, topic) = member(project, text, "topic", "ingestion/scoring-inputs-ready", |d| &d.topics)?;
    Ok((fanout::TopicRef::new(domain, name.clone()), topic))
}
