//! Test helpers for domain repos (feature `testing`): check a project as `fanout validate`
//! does, and snapshot a domain's template with insta.
//!
//! Enable the feature for tests only, so that code that merely synthesizes does not pull
//! in insta:
//!
//! ```toml
//! [dev-dependencies]
//! fanout = { git = "...", features = ["testing"] }
//! ```
//!
//! A test in the domain repo then reads:
//!
//! ```no_run
//! # fn project() -> fanout::Project { fanout::Project::default() }
//! #[test]
//! fn billing_template() {
//!     let project = project();
//!     fanout::testing::assert_valid(&project);
//!     fanout::assert_template_snapshot!(project, "billing", "dev");
//! }
//! ```
//!
//! Snapshots land in `snapshots/` beside the test file, as with insta's own macros; review
//! them with `cargo insta review` and run CI with `INSTA_UPDATE=no`.

use crate::diagnostic::Diagnostics;
use crate::project::Project;

/// insta, re-exported for [`assert_template_snapshot!`](crate::assert_template_snapshot),
/// so a domain repo needs no insta dependency of its own.
pub use insta;

/// Runs the checks `fanout validate` runs on a whole project (names, AWS limits, cross-domain
/// subscriptions) and panics with the diagnostics, as the CLI prints them, if any is an error.
///
/// The per-domain checks ran when each domain was built or loaded; this adds the checks
/// that need every domain and the stages.
///
/// ```
/// use fanout::build::{DomainBuilder, QueueBuilder};
/// use fanout::{Project, Settings};
///
/// let mut project = Project::new(Settings::new("/fanout", ["dev"])?);
/// project.add(DomainBuilder::new("billing").queue(QueueBuilder::standard("inbox")).build()?);
/// fanout::testing::assert_valid(&project);
/// # Ok::<(), fanout::Diagnostics>(())
/// ```
#[track_caller]
pub fn assert_valid(project: &Project) {
    let diagnostics = project.validate();
    if diagnostics.has_errors() {
        fail("the project is invalid", &diagnostics);
    }
}

/// The JSON template of `domain` for `stage`, after [`assert_valid`]; panics with a readable
/// message when the project is invalid or has no such domain or stage. The workhorse of
/// [`assert_template_snapshot!`](crate::assert_template_snapshot).
#[track_caller]
pub fn checked_template_json(project: &Project, domain: &str, stage: &str) -> String {
    assert_valid(project);
    match project.template(domain, stage) {
        Ok(template) => template.to_json(),
        Err(err) => fail(&err.to_string(), &Diagnostics::default()),
    }
}

#[track_caller]
#[allow(clippy::panic, reason = "a failed test assertion panics")]
fn fail(what: &str, diagnostics: &Diagnostics) -> ! {
    panic!("{what}\n\n{diagnostics}")
}

/// Synthesizes `domain` for `stage` from `project` (a [`Project`]) and checks the JSON
/// template against an insta snapshot named `<domain>__<stage>`; fails first, with the
/// diagnostics, if the project is invalid.
///
/// ```no_run
/// # let project = fanout::Project::default();
/// fanout::assert_template_snapshot!(project, "billing", "dev");
/// ```
#[macro_export]
macro_rules! assert_template_snapshot {
    ($project:expr, $domain:expr, $stage:expr $(,)?) => {{
        let domain: &str = $domain;
        let stage: &str = $stage;
        let template = $crate::testing::checked_template_json(&$project, domain, stage);
        $crate::testing::insta::assert_snapshot!(::std::format!("{domain}__{stage}"), template);
    }};
}
