//! Validated names of domains, topics, queues and stages, and references to topics.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest name fanout accepts for a domain, topic, queue or stage.
///
/// Physical names combine several of them, so the AWS limits are checked on the
/// combination; this bound only keeps single names readable.
pub const MAX_NAME_LEN: usize = 64;

/// A lowercase name: a letter, then letters, digits and single hyphens (`scoring-runs`).
///
/// Domains, topics, queues and stages are all named this way, so that physical AWS names
/// (`dev-scoring-scoring-runs.fifo`) and CloudFormation logical IDs (`ScoringRunsQueue`)
/// can be derived from them without collisions or escaping.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

/// Why a string is not a valid [`Name`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("Name is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("Name `{0}` is longer than {MAX_NAME_LEN} characters")]
    TooLong(String),
    /// The name starts with something other than a lowercase letter.
    #[error("Name `{0}` must start with a lowercase letter")]
    BadStart(String),
    /// The name contains a character other than `a-z`, `0-9` and `-`.
    #[error("Name `{name}` contains `{ch}`; use lowercase letters, digits and `-`")]
    BadChar {
        /// The name.
        name: String,
        /// The first character that is not allowed.
        ch: char,
    },
    /// The name ends with `-` or has `--`.
    #[error("Name `{0}` has an empty segment; use single hyphens between words, not at the end")]
    EmptySegment(String),
}

impl Name {
    /// Checks `name` and wraps it.
    ///
    /// ```
    /// use fanout::Name;
    /// assert!(Name::new("scoring-runs").is_ok());
    /// assert!(Name::new("Scoring_Runs").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        let Some(first) = name.chars().next() else {
            return Err(NameError::Empty);
        };
        if name.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong(name));
        }
        if !first.is_ascii_lowercase() {
            return Err(NameError::BadStart(name));
        }
        if let Some(ch) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            return Err(NameError::BadChar { name, ch });
        }
        if name.ends_with('-') || name.contains("--") {
            return Err(NameError::EmptySegment(name));
        }
        Ok(Self(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in `PascalCase`, the building block of logical IDs: `scoring-runs` → `ScoringRuns`.
    pub fn pascal_case(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for segment in self.0.split('-') {
            let mut chars = segment.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
        out
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for Name {
    type Error = NameError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to a topic: `<domain>/<topic>`, or a bare `<topic>` of the referring domain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicRef {
    /// The domain that publishes the topic.
    pub domain: Name,
    /// The topic's name in that domain.
    pub topic: Name,
}

/// Why a string is not a valid topic reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TopicRefError {
    /// More than one `/`.
    #[error("Topic reference `{0}` has more than one `/`; write `<domain>/<topic>`")]
    TooManySlashes(String),
    /// The part before `/` is not a valid [`Name`].
    #[error("Domain of topic reference `{reference}` is invalid: {source}")]
    Domain {
        /// The whole reference.
        reference: String,
        /// Why the domain part is invalid.
        #[source]
        source: NameError,
    },
    /// The topic part is not a valid [`Name`].
    #[error("Topic of topic reference `{reference}` is invalid: {source}")]
    Topic {
        /// The whole reference.
        reference: String,
        /// Why the topic part is invalid.
        #[source]
        source: NameError,
    },
}

impl TopicRef {
    /// The topic `topic` of domain `domain`.
    pub fn new(domain: Name, topic: Name) -> Self {
        Self { domain, topic }
    }

    /// Parses `domain/topic`, or `topic` relative to `home`.
    ///
    /// ```
    /// use fanout::{Name, TopicRef};
    /// let home = Name::new("billing")?;
    /// assert_eq!(TopicRef::parse("scoring/scores-published", &home)?.to_string(), "scoring/scores-published");
    /// assert_eq!(TopicRef::parse("invoices-issued", &home)?.to_string(), "billing/invoices-issued");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(reference: &str, home: &Name) -> Result<Self, TopicRefError> {
        let (domain, topic) = match reference.split_once('/') {
            None => (home.clone(), reference),
            Some((_, rest)) if rest.contains('/') => {
                return Err(TopicRefError::TooManySlashes(reference.to_string()));
            }
            Some((domain, topic)) => (
                Name::new(domain)
                    .map_err(|source| TopicRefError::Domain { reference: reference.to_string(), source })?,
                topic,
            ),
        };
        let topic =
            Name::new(topic).map_err(|source| TopicRefError::Topic { reference: reference.to_string(), source })?;
        Ok(Self { domain, topic })
    }
}

impl fmt::Display for TopicRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_lowercase_hyphen_rule() {
        for good in ["a", "scoring-runs", "v2", "a1-b2"] {
            assert!(Name::new(good).is_ok(), "{good}");
        }
        for bad in ["", "A", "1a", "-a", "a-", "a--b", "a_b", "a.b", "ä"] {
            assert!(Name::new(bad).is_err(), "{bad}");
        }
        assert!(Name::new("a".repeat(MAX_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn pascal_case_capitalizes_each_segment() {
        let name = Name::new("scoring-inputs-ready").unwrap();
        assert_eq!(name.pascal_case(), "ScoringInputsReady");
    }

    #[test]
    fn topic_ref_defaults_to_the_home_domain() {
        let home = Name::new("scoring").unwrap();
        let local = TopicRef::parse("scores", &home).unwrap();
        assert_eq!(local.to_string(), "scoring/scores");
        let remote = TopicRef::parse("ingestion/raw", &home).unwrap();
        assert_eq!(remote.to_string(), "ingestion/raw");
        assert!(TopicRef::parse("a/b/c", &home).is_err());
        assert!(TopicRef::parse("A/b", &home).is_err());
    }
}
