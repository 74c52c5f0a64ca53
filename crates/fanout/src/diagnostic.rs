//! Diagnostics: what is wrong with a domain, where, and how to fix it.
//!
//! Validation never stops at the first problem: it collects [`Diagnostic`]s. Each names the
//! field by its [`FieldPath`]; when the domain came from a manifest file, the loader adds the
//! file, line and column, so the same checks serve manifests and the Rust API alike.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

mod kind;

pub use kind::{DiagnosticKind, reference_markdown};

/// How bad a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Works, but probably not as meant; the CLI exits 0.
    Warning,
    /// AWS or CloudFormation would reject it; nothing is synthesized.
    Error,
}

/// One step of a [`FieldPath`]: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A mapping key: a field name, or a topic or queue name.
    Key(String),
    /// A position in a sequence, from 0.
    Index(usize),
}

/// Where a field sits in a manifest: `queues.scoring-runs.subscriptions[0].topic`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The whole document.
    ///
    /// ```
    /// use fanout::FieldPath;
    /// let path = FieldPath::root().key("queues").key("inbox").key("subscriptions").index(0);
    /// assert_eq!(path.to_string(), "queues.inbox.subscriptions[0]");
    /// ```
    pub fn root() -> Self {
        Self::default()
    }

    /// The path of the field `key` inside this one.
    #[must_use]
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.into()));
        path
    }

    /// The path of item `index` of this sequence.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// The keys and indexes from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the whole document.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path without its last segment.
    #[must_use]
    pub fn parent(&self) -> Self {
        let mut path = self.clone();
        path.0.pop();
        path
    }

    /// Whether this path is `other` or a field inside it.
    pub(crate) fn is_within(&self, other: &FieldPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The last key of the path: the name of the field itself.
    pub fn field(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A position in a manifest file; line and column count from 1.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The manifest file, as it was given to the loader.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A problem found in a domain: its severity, its kind, a message, the field, and a hint to
/// fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Whether it stops the domain from being built.
    pub severity: Severity,
    /// Which rule it reports, as a stable identifier.
    pub kind: DiagnosticKind,
    /// The domain the problem belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The field the problem is in, whichever door the domain came through.
    pub path: FieldPath,
    /// What is wrong, starting in lowercase, literals in backticks.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where in a manifest file the field is written; `None` for domains built in Rust.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    /// An error of `kind` at `path`.
    pub fn error(kind: DiagnosticKind, path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            kind,
            domain: None,
            path,
            message: message.into(),
            hint: None,
            location: None,
        }
    }

    /// A warning of `kind` at `path`.
    pub fn warning(kind: DiagnosticKind, path: FieldPath, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(kind, path, message) }
    }

    /// Adds how to fix it.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names the domain it belongs to.
    #[must_use]
    pub fn in_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether it is an error, not a warning.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// The plain-text form, as the CLI prints it:
    ///
    /// ```text
    /// error: queue `inbox` is FIFO but subscribes to standard topic `ingestion/raw`
    ///   --> domains/scoring.yaml:14:9
    ///   = field: queues.inbox.subscriptions[0].topic
    ///   hint: make the topic FIFO (`fifo: true`) or make this queue standard
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", self.message)?;
        if let Some(location) = &self.location {
            write!(f, "\n  --> {location}")?;
        } else if let Some(domain) = &self.domain {
            write!(f, "\n  --> domain `{domain}`")?;
        }
        if !self.path.is_root() {
            write!(f, "\n  = field: {}", self.path)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The diagnostics of a run, in the order they were found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// How many are warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The diagnostics, in order, to change them (the loader adds positions this way).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Diagnostic> {
        self.0.iter_mut()
    }

    /// Sorts by file, line, column and message, so output does not depend on check order.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.location, &a.domain, &a.path, &a.message).cmp(&(&b.location, &b.domain, &b.path, &b.message))
        });
    }
}

impl fmt::Display for Diagnostics {
    /// Every diagnostic as the CLI prints it without color, separated by blank lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// So that `?` carries diagnostics into `Box<dyn Error>` or `anyhow::Error`.
impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Names as messages list them: each in backticks, separated by commas (`` `dev`, `prod` ``),
/// or `none` when there are none.
///
/// ```
/// assert_eq!(fanout::diagnostic::quote_list(["dev", "prod"]), "`dev`, `prod`");
/// assert_eq!(fanout::diagnostic::quote_list(Vec::<&str>::new()), "none");
/// ```
pub fn quote_list<T: fmt::Display>(names: impl IntoIterator<Item = T>) -> String {
    let mut text = String::new();
    for name in names {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push('`');
        text.push_str(&name.to_string());
        text.push('`');
    }
    if text.is_empty() { "none".to_string() } else { text }
}

/// The closest of `candidates` to `input`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `text` with its first letter in lowercase: an error's message (`Name is empty`) inside a
/// diagnostic's message.
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
