//! Every physical name unique across the organization: two resources fanout creates in any
//! domain and stage of the repo never get the same name of one kind ([`Namespace`]), which
//! would make a deploy fail or, worse, two teams share one queue.
//!
//! Names join stage, domain and resource names with hyphens, so `a` + `b-c` and `a-b` + `c`
//! meet, and so do stages `dev` and `dev-a`. The names come from [`naming::physical_names`],
//! the one place they are derived.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::naming::{self, Namespace, PhysicalName};
use crate::project::Project;

/// Every collision of physical names across the domains and stages of `project`, each
/// reported once, in the domain of the later one, naming both.
pub fn collisions(project: &Project) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut seen: BTreeMap<(Namespace, String), (String, String, PhysicalName)> = BTreeMap::new();
    for stage in &project.settings.stages {
        for domain in project.domains.values() {
            for name in naming::physical_names(project, domain, stage) {
                let key = (name.namespace, name.name.clone());
                match seen.get(&key) {
                    Some((first_stage, first_domain, first)) => diagnostics.push(collision(
                        (stage.as_str(), domain.name.as_str(), &name),
                        (first_stage, first_domain, first),
                    )),
                    None => {
                        seen.insert(key, (stage.to_string(), domain.name.to_string(), name));
                    }
                }
            }
        }
    }
    diagnostics
}

/// `later` gets the same name as `first`; each is (stage, domain, name).
fn collision(later: (&str, &str, &PhysicalName), first: (&str, &str, &PhysicalName)) -> Diagnostic {
    let (stage, domain, name) = later;
    let (first_stage, first_domain, first_name) = first;
    let kind = name.namespace.describe();
    Diagnostic::error(
        name.path.clone(),
        format!(
            "{kind} `{}` of {} of domain `{domain}` in stage `{stage}` is also the {kind} of {} of domain `{first_domain}` in stage `{first_stage}`",
            name.name, name.what, first_name.what
        ),
    )
    .with_hint(if domain == first_domain {
        "AWS names are unique in an account and Region, and fanout joins names with `-`: rename one of the two".to_string()
    } else {
        format!(
            "AWS names are unique in an account and Region, and fanout joins stage, domain and resource names with `-`: rename domain `{domain}` or `{first_domain}`, or the resource"
        )
    })
    .in_domain(domain)
}
