//! A project: the repo-wide settings and every domain in the repo, checked together.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::build::DomainBuilder;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath, did_you_mean, quote_list};
use crate::limits;
use crate::manifest::DomainManifest;
use crate::manifest::SettingsManifest;
use crate::model::lower::{Lowered, SubscriptionOrigins, lower_partially};
use crate::model::{Domain, TopicKind};
use crate::name::{Name, TopicRef};
use crate::naming;
use crate::read::{Document, read_manifest, read_settings};
use crate::synth::{outline, synth};
use crate::template::Template;

mod contracts;
mod cycles;
mod names;

pub use contracts::{LOCK_FILE, LockFile};
pub use names::physical_names;

/// Repo-wide settings, from `fanout.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Prefix of the SSM parameters, like `/fanout`: starts with `/`, no trailing `/`.
    pub ssm_prefix: String,
    /// The stages templates are synthesized for.
    pub stages: Vec<Name>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ssm_prefix: "/fanout".to_string(),
            stages: vec![Name::new("dev").unwrap_or_else(|_| unreachable!("`dev` is a valid name"))],
        }
    }
}

impl Settings {
    /// Settings from Rust, with the checks `fanout.yaml` gets: `ssm_prefix` like `/fanout`,
    /// and the stages to synthesize.
    ///
    /// ```
    /// let settings = fanout::Settings::new("/fanout", ["dev", "prod"])?;
    /// assert_eq!(settings.stages.len(), 2);
    /// assert!(fanout::Settings::new("fanout/", ["Dev"]).is_err());
    /// # Ok::<(), fanout::Diagnostics>(())
    /// ```
    pub fn new<S: Into<String>>(
        ssm_prefix: impl Into<String>,
        stages: impl IntoIterator<Item = S>,
    ) -> Result<Settings, Diagnostics> {
        let manifest =
            SettingsManifest { ssm_prefix: ssm_prefix.into(), stages: stages.into_iter().map(Into::into).collect() };
        match Settings::from_manifest(&manifest) {
            (Some(settings), _) => Ok(settings),
            (None, diagnostics) => Err(diagnostics),
        }
    }

    /// The configured stage named `name`: the one lookup of a stage by name, for the library
    /// and every command.
    ///
    /// ```
    /// let settings = fanout::Settings::new("/fanout", ["dev", "prod"])?;
    /// assert_eq!(settings.stage("prod")?.as_str(), "prod");
    /// let err = settings.stage("qa").unwrap_err();
    /// assert_eq!(err.to_string(), "Stage `qa` is not configured; the stages are `dev`, `prod`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(&self, name: &str) -> Result<&Name, LookupError> {
        self.stages
            .iter()
            .find(|stage| stage.as_str() == name)
            .ok_or_else(|| LookupError::UnknownStage { stage: name.to_string(), known: quote_list(&self.stages) })
    }

    /// Checks the settings manifest and builds the settings.
    pub fn from_manifest(manifest: &SettingsManifest) -> (Option<Settings>, Diagnostics) {
        let mut diagnostics = Diagnostics::default();
        let prefix = &manifest.ssm_prefix;
        let path = FieldPath::root().key("ssm_prefix");
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
        let lower = prefix.to_ascii_lowercase();
        if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") || !prefix.chars().all(valid_char)
        {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::InvalidSsmPrefix,
                    path.clone(),
                    format!("invalid SSM prefix `{prefix}`"),
                )
                .with_hint(
                    "start with `/`, separate levels with single `/`, use letters, digits and `_ . -`: `/fanout`",
                ),
            );
        } else if lower.starts_with("/aws") || lower.starts_with("/ssm") {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::ReservedSsmPrefix,
                    path.clone(),
                    format!("SSM names starting with `{}` are reserved by AWS", &prefix[..4]),
                )
                .with_hint("choose another prefix, such as `/fanout`"),
            );
        } else if prefix.split('/').count() - 1 + naming::SSM_LEVELS_BELOW_PREFIX > limits::SSM_PARAMETER_LEVELS {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::SsmPrefixTooDeep,
                    path.clone(),
                    format!(
                        "the SSM prefix has {} levels; fanout adds {} (`/{{stage}}/{{domain}}/topics/{{topic}}/subscribers/{{consumer}}`) and SSM allows {}",
                        prefix.split('/').count() - 1,
                        naming::SSM_LEVELS_BELOW_PREFIX,
                        limits::SSM_PARAMETER_LEVELS
                    ),
                )
                .with_hint(format!(
                    "use at most {} levels: `/fanout`",
                    limits::SSM_PARAMETER_LEVELS - naming::SSM_LEVELS_BELOW_PREFIX
                )),
            );
        }
        let mut stages = Vec::new();
        for (index, stage) in manifest.stages.iter().enumerate() {
            match Name::new(stage.as_str()) {
                Ok(name) if stages.contains(&name) => diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::DuplicateStage,
                        FieldPath::root().key("stages").index(index),
                        format!("stage `{stage}` is listed twice"),
                    )
                    .with_hint("remove the duplicate"),
                ),
                Ok(name) => stages.push(name),
                Err(err) => diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::InvalidName,
                        FieldPath::root().key("stages").index(index),
                        format!(
                            "invalid stage name `{stage}`: {}",
                            crate::diagnostic::lowercase_first(&err.to_string())
                        ),
                    )
                    .with_hint("use lowercase letters, digits and single hyphens: `dev`, `prod`"),
                ),
            }
        }
        if manifest.stages.is_empty() {
            diagnostics.push(
                Diagnostic::error(DiagnosticKind::NoStages, FieldPath::root().key("stages"), "no stages are listed")
                    .with_hint("list at least one: `stages: [dev]`"),
            );
        }
        if diagnostics.has_errors() {
            return (None, diagnostics);
        }
        let settings = Settings { ssm_prefix: prefix.clone(), stages };
        (Some(settings), diagnostics)
    }
}

/// Every domain of a repo, with the repo's settings.
///
/// Load one from manifests ([`crate::load::load_project`], [`Project::from_sources`]) or
/// assemble one from domains built in Rust ([`Project::new`], [`Project::add`]); either way
/// [`Project::validate`] runs the checks that need more than one domain.
///
/// ```
/// use fanout::build::{DomainBuilder, QueueBuilder, TopicBuilder};
/// use fanout::{Project, Settings};
///
/// let mut project = Project::new(Settings::new("/fanout", ["dev", "prod"])?);
/// project.add(DomainBuilder::new("ingestion").topic(TopicBuilder::standard("raw-events")).build()?);
/// project.add(
///     DomainBuilder::new("scoring")
///         .queue(QueueBuilder::fifo("inbox").subscribe("ingestion/raw-events"))
///         .build()?,
/// );
/// let diagnostics = project.validate();
/// assert_eq!(
///     diagnostics.iter().next().map(|d| d.message.as_str()),
///     Some("queue `inbox` is FIFO but subscribes to standard topic `ingestion/raw-events`"),
/// );
/// # Ok::<(), fanout::Diagnostics>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// The repo's settings.
    pub settings: Settings,
    /// The domains, by name.
    pub domains: BTreeMap<Name, Domain>,
    /// For domains read from a manifest or a builder, where their subscriptions come from.
    origins: BTreeMap<Name, SubscriptionOrigins>,
    /// The contracts of other repos' topics this repo locked (`fanout.lock`), if it has any.
    lock: Option<LockFile>,
}

impl crate::synth::Context for Project {
    fn ssm_prefix(&self) -> &str {
        &self.settings.ssm_prefix
    }

    fn topic_kind(&self, topic: &TopicRef) -> Option<TopicKind> {
        Project::topic_kind(self, topic)
    }
}

/// One manifest file's path and text, as given to [`Project::from_sources`].
#[derive(Clone, Debug)]
pub struct Source {
    /// The path diagnostics name; need not exist.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
}

/// A domain or stage a project does not have, asked for by name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No domain of that name.
    #[error("Domain `{domain}` is not in the project; it has {known}")]
    UnknownDomain {
        /// The name asked for.
        domain: String,
        /// The domains there are, quoted.
        known: String,
    },
    /// No stage of that name in the settings.
    #[error("Stage `{stage}` is not configured; the stages are {known}")]
    UnknownStage {
        /// The name asked for.
        stage: String,
        /// The stages there are, quoted.
        known: String,
    },
}

impl LookupError {
    /// What to do about it, for a `hint:` line.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownDomain { .. } => None,
            Self::UnknownStage { .. } => Some("use one of them, or add it to `stages` in `fanout.yaml`".to_string()),
        }
    }
}

impl Project {
    /// A project without domains.
    pub fn new(settings: Settings) -> Self {
        Self { settings, domains: BTreeMap::new(), origins: BTreeMap::new(), lock: None }
    }

    /// Adds a domain, replacing one of the same name.
    pub fn add(&mut self, domain: Domain) -> &mut Self {
        self.origins.remove(&domain.name);
        self.domains.insert(domain.name.clone(), domain);
        self
    }

    /// Adds a domain read from a manifest or a builder, with where its subscriptions come
    /// from in it.
    fn add_lowered(&mut self, domain: Domain, origins: SubscriptionOrigins) {
        self.origins.insert(domain.name.clone(), origins);
        self.domains.insert(domain.name.clone(), domain);
    }

    /// The path of subscription `index` of `queue` in the domain's manifest: its index there,
    /// which differs from the model's when the domain left a broken subscription out.
    pub(crate) fn subscription_path(&self, domain: &Name, queue: &Name, index: usize) -> FieldPath {
        let index = self.origins.get(domain).and_then(|queues| queues.get(queue)?.get(index).copied()).unwrap_or(index);
        FieldPath::root().key("queues").key(queue.to_string()).key("subscriptions").index(index)
    }

    /// Synthesizes the template of the domain named `domain` for the configured stage named
    /// `stage`: [`synth()`](crate::synth()) with the lookups done. Validate first
    /// ([`Project::validate`]); a template of an invalid project may not deploy.
    pub fn template(&self, domain: &str, stage: &str) -> Result<Template, LookupError> {
        let found = self.domains.values().find(|d| d.name.as_str() == domain).ok_or_else(|| {
            LookupError::UnknownDomain { domain: domain.to_string(), known: quote_list(self.domains.keys()) }
        })?;
        Ok(synth(self, found, self.settings.stage(stage)?))
    }

    /// The kind of a topic: of a domain in this project, or of another repo as `fanout.lock`
    /// holds it for every configured stage; `None` when the project has no such topic and the
    /// lock does not decide (its kind is then checked at deploy time).
    pub fn topic_kind(&self, topic: &TopicRef) -> Option<TopicKind> {
        match self.domains.get(&topic.domain) {
            Some(domain) => Some(domain.topics.get(&topic.topic)?.kind),
            None => self.locked_kind(topic),
        }
    }

    /// Gives the project the contracts it locked (`fanout.lock`), or takes them away; run
    /// [`Project::validate`] again to check the subscriptions against them.
    pub fn set_lock(&mut self, lock: Option<LockFile>) {
        self.lock = lock;
    }

    /// The contracts the project locked, if any.
    pub fn lock(&self) -> Option<&LockFile> {
        self.lock.as_ref()
    }

    /// Parses, checks and assembles a project from manifest texts: `settings` is
    /// `fanout.yaml`, if the repo has one; `manifests` are the domain files. Every problem is
    /// reported with its file, line and column. The project is returned only without errors.
    ///
    /// Topics that declare an event `schema` get an error here, as no files are read: use
    /// [`Project::from_sources_with_schemas`] or [`crate::load::load_project`].
    pub fn from_sources(settings: Option<&Source>, manifests: &[Source]) -> (Option<Project>, Diagnostics) {
        Self::from_sources_with_schemas(settings, manifests, &|_| None)
    }

    /// Like [`Project::from_sources`], with `read_schema` giving the text of each event
    /// schema file a topic names (the path joined to the manifest's folder).
    pub fn from_sources_with_schemas(
        settings: Option<&Source>,
        manifests: &[Source],
        read_schema: crate::contract::ReadSchema<'_>,
    ) -> (Option<Project>, Diagnostics) {
        Self::from_sources_with_lock(settings, manifests, read_schema, None)
    }

    /// Like [`Project::from_sources_with_schemas`], with `lock` the text of `fanout.lock` if
    /// the repo has one: read strictly ([`LockFile::parse`]), and every subscription to a topic
    /// of another repo checked against the contracts it locks.
    pub fn from_sources_with_lock(
        settings: Option<&Source>,
        manifests: &[Source],
        read_schema: crate::contract::ReadSchema<'_>,
        lock: Option<&Source>,
    ) -> (Option<Project>, Diagnostics) {
        let (project, diagnostics) = Self::check_sources(settings, manifests, read_schema, lock);
        let ok = !diagnostics.has_errors();
        (ok.then_some(project), diagnostics)
    }

    /// Like [`Project::from_sources_with_schemas`], but returns the project even with
    /// errors: every domain that could be read, minus its broken entries.
    pub(crate) fn check_sources(
        settings: Option<&Source>,
        manifests: &[Source],
        read_schema: crate::contract::ReadSchema<'_>,
        lock: Option<&Source>,
    ) -> (Project, Diagnostics) {
        let mut diagnostics = Diagnostics::default();
        let settings = match settings {
            None => Some(Settings::default()),
            Some(source) => {
                let document = read_settings(&source.text, &source.path);
                diagnostics.extend(document.diagnostics.clone());
                document.value.as_ref().and_then(|manifest| {
                    let (settings, found) = Settings::from_manifest(manifest);
                    diagnostics.extend(document.locate(found));
                    settings
                })
            }
        };

        let mut project = Project::new(settings.clone().unwrap_or_default());
        if let Some(source) = lock {
            let (lock, found) = LockFile::parse(&source.path, &source.text);
            diagnostics.extend(found);
            project.lock = lock;
        }
        // Reading and the per-domain checks are independent per file: spread them over the
        // cores, then combine in file order so the result does not depend on the threads.
        let read = crate::parallel::map(manifests, |source| {
            let mut document = read_manifest(&source.text, &source.path);
            // The manifest is done with once the domain is built; the document stays, to
            // locate what later checks find.
            let lowered = document.value.take().as_ref().map(lower_partially);
            (document, lowered)
        });
        // The document of each domain in the project, to locate the cross-domain diagnostics.
        let mut documents: BTreeMap<Name, Document<DomainManifest>> = BTreeMap::new();
        for (document, lowered) in read {
            diagnostics.extend(document.diagnostics.clone());
            let Some(Lowered { domain, diagnostics: mut found, origins }) = lowered else { continue };
            let Some(mut domain) = domain else {
                diagnostics.extend(document.locate(found));
                continue;
            };
            let file = document.file();
            crate::contract::attach(&mut domain, file.parent().unwrap_or(Path::new("")), read_schema, &mut found);
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            if stem != domain.name.as_str() {
                found.push(
                    Diagnostic::error(
                        DiagnosticKind::FileNameMismatch,
                        FieldPath::root().key("domain"),
                        format!(
                            "domain `{}` is in file `{}`",
                            domain.name,
                            file.file_name().unwrap_or_default().to_string_lossy()
                        ),
                    )
                    .with_hint(format!("rename the file to `{}.yaml`, or the domain to `{stem}`", domain.name)),
                );
            }
            if let Some(other) = documents.get(&domain.name) {
                found.push(
                    Diagnostic::error(
                        DiagnosticKind::DuplicateDomain,
                        FieldPath::root().key("domain"),
                        format!("domain `{}` is also defined in `{}`", domain.name, other.file().display()),
                    )
                    .with_hint("give each domain one manifest"),
                );
                diagnostics.extend(document.locate(found));
                continue;
            }
            diagnostics.extend(document.locate(found));
            // A domain with errors still takes part in the cross-domain checks, so one run
            // reports everything; the project as a whole is then not returned.
            documents.insert(domain.name.clone(), document);
            project.add_lowered(domain, origins);
        }

        for diagnostic in project.validate() {
            let document = diagnostic.domain.as_deref().and_then(|d| Name::new(d).ok()).and_then(|d| documents.get(&d));
            match document {
                Some(document) => diagnostics.extend(document.locate(Diagnostics::from_iter([diagnostic]))),
                None => diagnostics.push(diagnostic),
            }
        }
        diagnostics.sort();
        (project, diagnostics)
    }

    /// Builds every domain and checks them together, as [`Project::from_sources`] does for
    /// manifest files: every diagnostic of every domain and of the cross-domain checks (a
    /// domain with errors still takes part in those, minus its broken entries), and the
    /// project only without errors.
    ///
    /// ```
    /// use fanout::build::{DomainBuilder, QueueBuilder};
    /// use fanout::{Project, Settings};
    ///
    /// let (project, diagnostics) = Project::from_builders(
    ///     Settings::default(),
    ///     [DomainBuilder::new("billing").queue(QueueBuilder::standard("inbox").subscribe("invoices"))],
    /// );
    /// assert!(project.is_none());
    /// assert_eq!(
    ///     diagnostics.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
    ///     ["queue `inbox` subscribes to `billing/invoices`, but domain `billing` has no topic `invoices`"],
    /// );
    /// ```
    ///
    /// A topic with an event schema ([`TopicBuilder::schema`](crate::build::TopicBuilder::schema)) gets an error here, as no
    /// files are read: use [`Project::from_builders_with_schemas`].
    pub fn from_builders(
        settings: Settings,
        domains: impl IntoIterator<Item = DomainBuilder>,
    ) -> (Option<Project>, Diagnostics) {
        Self::from_builders_with_schemas(settings, domains, Path::new(""), &|_| None)
    }

    /// Like [`Project::from_builders`], and reads the event schema of every topic that
    /// names one, as a manifest's are read: the path joined to `schema_dir` (where the
    /// manifest would be), read by `read_schema` ([`crate::load::schema_reader`] reads files inside the repo).
    /// The schemas get the checks a manifest's get, and are published in SSM.
    ///
    /// ```
    /// use std::path::Path;
    /// use fanout::build::{DomainBuilder, TopicBuilder};
    /// use fanout::{Project, Settings};
    ///
    /// let schema = r#"{ "type": "object", "required": ["id"] }"#;
    /// let (project, diagnostics) = Project::from_builders_with_schemas(
    ///     Settings::default(),
    ///     [DomainBuilder::new("billing").topic(TopicBuilder::standard("invoices").schema("schemas/invoices.json"))],
    ///     Path::new("domains"),
    ///     &|path| Some(if path == Path::new("domains/schemas/invoices.json") { Ok(schema.to_string()) } else { Err("not found".to_string()) }),
    /// );
    /// assert!(diagnostics.is_empty(), "{diagnostics}");
    /// let template = project.expect("valid").template("billing", "dev")?;
    /// assert!(template.resources.contains_key("InvoicesTopicSchemaParameter"));
    /// # Ok::<(), fanout::LookupError>(())
    /// ```
    pub fn from_builders_with_schemas(
        settings: Settings,
        domains: impl IntoIterator<Item = DomainBuilder>,
        schema_dir: &Path,
        read_schema: crate::contract::ReadSchema<'_>,
    ) -> (Option<Project>, Diagnostics) {
        let mut project = Project::new(settings);
        let mut diagnostics = Diagnostics::default();
        for builder in domains {
            let Lowered { mut domain, diagnostics: mut found, origins } = builder.build_partially();
            if let Some(domain) = &mut domain {
                let mut read = Diagnostics::default();
                crate::contract::attach(domain, schema_dir, read_schema, &mut read);
                found
                    .extend(read.into_iter().map(|diagnostic| diagnostic.in_domain(domain.name.to_string())).collect());
            }
            if let Some(domain) = domain {
                if project.domains.contains_key(&domain.name) {
                    found.push(
                        Diagnostic::error(
                            DiagnosticKind::DuplicateDomain,
                            FieldPath::root().key("domain"),
                            format!("domain `{}` is added twice", domain.name),
                        )
                        .with_hint("add each domain once")
                        .in_domain(domain.name.to_string()),
                    );
                } else {
                    project.add_lowered(domain, origins);
                }
            }
            diagnostics.extend(found);
        }
        diagnostics.extend(project.validate());
        diagnostics.sort();
        let valid = !diagnostics.has_errors();
        (valid.then_some(project), diagnostics)
    }

    /// The checks that need more than one domain, or the stages: subscribed topics exist and
    /// have a compatible kind, physical names fit AWS limits in every stage, templates fit
    /// CloudFormation limits.
    pub fn validate(&self) -> Diagnostics {
        let domains: Vec<&Domain> = self.domains.values().collect();
        let found = crate::parallel::map(&domains, |domain| {
            let mut found = Diagnostics::default();
            self.check_subscriptions(domain, &mut found);
            self.check_parameter_values(domain, &mut found);
            self.check_physical_names(domain, &mut found);
            self.check_template_limits(domain, &mut found);
            for diagnostic in found.iter_mut() {
                diagnostic.domain = Some(domain.name.to_string());
            }
            found
        });
        let mut found: Diagnostics = found.into_iter().flatten().collect();
        found.extend(names::collisions(self));
        found.extend(cycles::cycles(self));
        found.extend(self.unused_lock_entries());
        found
    }

    fn check_subscriptions(&self, domain: &Domain, diagnostics: &mut Diagnostics) {
        for (queue_name, queue) in &domain.queues {
            for (index, subscription) in queue.subscriptions.iter().enumerate() {
                let subscription_path = self.subscription_path(&domain.name, queue_name, index);
                let path = subscription_path.key("topic");
                let topic = &subscription.topic;
                let Some(owner) = self.domains.get(&topic.domain) else {
                    // A domain of another repo: its topic is found through SSM at deploy, and
                    // checked here against the contract the repo locked.
                    self.check_external_subscription(queue_name, queue, subscription, &subscription_path, diagnostics);
                    if crate::synth::subscription_redrive(self, queue, subscription) == crate::synth::Redrive::None {
                        diagnostics.push(
                            Diagnostic::warning(
                                DiagnosticKind::UndeliveredDropped,
                                path,
                                format!("what SNS cannot deliver from `{topic}` to queue `{queue_name}` is dropped: the queue has `dead_letter: false`, and the topic's kind, which a dead-letter queue must match, is known only at deploy"),
                            )
                            .with_hint("remove `dead_letter: false` to keep it (the topic must then be standard), or make this queue FIFO for a FIFO topic"),
                        );
                    }
                    continue;
                };
                let Some(found) = owner.topics.get(&topic.topic) else {
                    let mut diagnostic = Diagnostic::error(
                        DiagnosticKind::UnknownTopic,
                        path,
                        format!(
                            "queue `{queue_name}` subscribes to `{topic}`, but domain `{}` has no topic `{}`",
                            topic.domain, topic.topic
                        ),
                    );
                    let candidates = owner.topics.keys().map(Name::as_str);
                    diagnostic = match did_you_mean(topic.topic.as_str(), candidates) {
                        Some(close) => diagnostic.with_hint(format!("did you mean `{}/{close}`?", topic.domain)),
                        None if owner.topics.is_empty() => diagnostic
                            .with_hint(format!("domain `{}` publishes no topics; add it there first", topic.domain)),
                        None => diagnostic.with_hint(format!(
                            "domain `{}` publishes {}",
                            topic.domain,
                            quote_list(owner.topics.keys())
                        )),
                    };
                    diagnostics.push(diagnostic);
                    continue;
                };
                contracts::check_kind(queue_name, queue, topic, found.kind, false, &path, diagnostics);
                self.check_internal_filter(queue_name, subscription, found, &subscription_path, diagnostics);
            }
        }
    }

    fn check_physical_names(&self, domain: &Domain, diagnostics: &mut Diagnostics) {
        // The longest stage name gives the longest physical names.
        let Some(stage) = self.settings.stages.iter().max_by_key(|s| s.as_str().len()) else { return };
        let stack = naming::stack_name(stage, &domain.name);
        if stack.len() > limits::STACK_NAME {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::StackNameTooLong,
                    FieldPath::root().key("domain"),
                    format!(
                        "stack name `{stack}` is {} characters; CloudFormation allows {}",
                        stack.len(),
                        limits::STACK_NAME
                    ),
                )
                .with_hint("shorten the domain name"),
            );
        }
        for (name, queue) in &domain.queues {
            let fifo = queue.kind.is_fifo();
            let needs_fifo_dlq = crate::synth::needs_fifo_dead_letter(self, queue);
            let longest = if crate::synth::has_dead_letter_queue(self, queue) || needs_fifo_dlq {
                naming::dead_letter_queue_name(stage, &domain.name, name, fifo || needs_fifo_dlq)
            } else {
                naming::queue_name(stage, &domain.name, name, fifo)
            };
            if longest.len() > limits::QUEUE_NAME {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::QueueNameTooLong,
                        FieldPath::root().key("queues").key(name.to_string()),
                        format!(
                            "queue name `{longest}` is {} characters in stage `{stage}`; SQS allows {}",
                            longest.len(),
                            limits::QUEUE_NAME
                        ),
                    )
                    .with_hint(format!(
                        "shorten the queue or domain name by {} characters",
                        longest.len() - limits::QUEUE_NAME
                    )),
                );
            }
        }
        if domain.alerts.as_ref().is_some_and(|alerts| !alerts.email.is_empty()) {
            let queue = naming::alert_dead_letter_queue_name(stage, &domain.name);
            if queue.len() > limits::QUEUE_NAME {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::QueueNameTooLong,
                        FieldPath::root().key("alerts").key("email"),
                        format!(
                            "the dead-letter queue of the alert e-mails, `{queue}`, is {} characters in stage `{stage}`; SQS allows {}",
                            queue.len(),
                            limits::QUEUE_NAME
                        ),
                    )
                    .with_hint(format!(
                        "shorten the domain name by {} characters, or send alarms to a topic of your own with `topic_arn`",
                        queue.len() - limits::QUEUE_NAME
                    )),
                );
            }
        }
        for (name, topic) in &domain.topics {
            let physical = naming::topic_name(stage, &domain.name, name, topic.kind.is_fifo());
            let path = FieldPath::root().key("topics").key(name.to_string());
            if physical.len() > limits::TOPIC_NAME {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::TopicNameTooLong,
                        path.clone(),
                        format!(
                            "topic name `{physical}` is {} characters; SNS allows {}",
                            physical.len(),
                            limits::TOPIC_NAME
                        ),
                    )
                    .with_hint("shorten the topic or domain name"),
                );
            }
            let topic_ref = TopicRef::new(domain.name.clone(), name.clone());
            // The contract's is the longest of the topic's parameter names.
            let ssm = naming::topic_contract_parameter(&self.settings.ssm_prefix, stage, &topic_ref);
            check_ssm_name(&ssm, path, "shorten the SSM prefix or the topic name", diagnostics);
        }
        for (queue_name, queue) in &domain.queues {
            for (index, subscription) in queue.subscriptions.iter().enumerate() {
                let ssm = naming::topic_subscriber_parameter(
                    &self.settings.ssm_prefix,
                    stage,
                    &subscription.topic,
                    &domain.name,
                );
                let path = self.subscription_path(&domain.name, queue_name, index).key("topic");
                check_ssm_name(&ssm, path, "shorten the SSM prefix, the domain name or the topic's names", diagnostics);
            }
        }
    }

    fn check_template_limits(&self, domain: &Domain, diagnostics: &mut Diagnostics) {
        let Some(stage) = self.settings.stages.first() else { return };
        let (template, collisions) = outline(self, domain, stage);
        let counts = [
            ("resources", template.resources.len(), limits::RESOURCES),
            ("outputs", template.outputs.len(), limits::OUTPUTS),
            ("parameters", template.parameters.len(), limits::PARAMETERS),
        ];
        let within_counts = counts.iter().all(|(_, count, max)| count <= max);
        for (what, count, max) in counts {
            if count > max {
                diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::TemplateLimit,
                        FieldPath::root(),
                        format!(
                            "the template of domain `{}` has {count} {what}; CloudFormation allows {max}",
                            domain.name
                        ),
                    )
                    .with_hint("split the domain into several domains"),
                );
            }
        }
        // One diagnostic per pair of resources' owners, with every logical ID they share.
        let mut shared: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for collision in &collisions {
            shared.entry((&collision.first, &collision.second)).or_default().push(&collision.logical_id);
        }
        for ((first, second), ids) in shared {
            let what = if ids.len() == 1 { "logical ID" } else { "logical IDs" };
            let ids = quote_list(&ids);
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::LogicalIdCollision,
                    FieldPath::root(),
                    format!("{first} and {second} both get the CloudFormation {what} {ids}"),
                )
                .with_hint("rename one of them so that no name ends like another's derived name (`-dead-letter`)"),
            );
        }
        if !within_counts || !collisions.is_empty() || diagnostics.has_errors() {
            return;
        }
        // The size needs the whole template; the longest stage name gives the largest.
        let stage = self.settings.stages.iter().max_by_key(|s| s.as_str().len()).unwrap_or(stage);
        let size = synth(self, domain, stage).to_json().len();
        if size > limits::TEMPLATE_BODY {
            diagnostics.push(
                Diagnostic::error(
                    DiagnosticKind::TemplateTooLarge,
                    FieldPath::root(),
                    format!(
                        "the template of domain `{}` is {size} bytes in stage `{stage}`; CloudFormation allows {}",
                        domain.name,
                        limits::TEMPLATE_BODY
                    ),
                )
                .with_hint("make filter policies and schemas smaller, or split the domain into several domains"),
            );
        } else if size > limits::TEMPLATE_BODY_INLINE {
            diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::TemplateNeedsBucket,
                    FieldPath::root(),
                    format!(
                        "the template of domain `{}` is {size} bytes in stage `{stage}`, over the {} CloudFormation takes inline",
                        domain.name,
                        limits::TEMPLATE_BODY_INLINE
                    ),
                )
                .with_hint("`fanout deploy` uploads it to S3 first: give it a bucket with `--template-bucket` or `FANOUT_TEMPLATE_BUCKET`"),
            );
        }
    }
}

/// An error when the SSM parameter name `ssm` is longer than SSM allows.
fn check_ssm_name(ssm: &str, path: FieldPath, hint: &str, diagnostics: &mut Diagnostics) {
    if ssm.len() > limits::SSM_PARAMETER_NAME {
        diagnostics.push(
            Diagnostic::error(
                DiagnosticKind::SsmNameTooLong,
                path,
                format!(
                    "SSM parameter name `{ssm}` is {} characters; SSM allows {}",
                    ssm.len(),
                    limits::SSM_PARAMETER_NAME
                ),
            )
            .with_hint(hint),
        );
    }
}
