//! The checks of a topic's `attributes`: SNS's rules for message attribute names, the
//! number of attributes a message delivered raw to a queue may carry, and `values`, which
//! only string attributes have.

use std::collections::{BTreeMap, BTreeSet};

use super::Lower;
use crate::diagnostic::{DiagnosticKind, FieldPath, quote_list};
use crate::limits;
use crate::manifest::{AttributeManifest, AttributeType};
use crate::model::MessageAttribute;

/// How a message attribute name breaks SNS's rules, if it does.
fn attribute_name_problem(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > limits::ATTRIBUTE_NAME {
        Some("is longer than 256 characters")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        Some("has a character other than letters, digits, `_`, `-` and `.`")
    } else if name.starts_with('.') || name.ends_with('.') {
        Some("starts or ends with a period")
    } else if name.contains("..") {
        Some("has two periods in a row")
    } else if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        Some("starts with `AWS.` or `Amazon.`, which AWS reserves")
    } else {
        None
    }
}

impl Lower {
    /// The topic's attributes, each checked; a broken one is left out.
    pub(super) fn attributes(
        &mut self,
        spec: &BTreeMap<String, AttributeManifest>,
        path: &FieldPath,
    ) -> BTreeMap<String, MessageAttribute> {
        let path = path.key("attributes");
        if spec.len() > limits::MESSAGE_ATTRIBUTES {
            self.error(
                DiagnosticKind::TooManyAttributes,
                path.clone(),
                format!(
                    "the topic declares {} message attributes; SNS delivers at most {} to a queue with raw message delivery",
                    spec.len(),
                    limits::MESSAGE_ATTRIBUTES
                ),
                format!("declare at most {} attributes; move the rest into the message body", limits::MESSAGE_ATTRIBUTES),
            );
        }
        let mut attributes = BTreeMap::new();
        for (name, attribute) in spec {
            let attribute_path = path.key(name.clone());
            let mut ok = true;
            if let Some(problem) = attribute_name_problem(name) {
                ok = false;
                self.error(
                    DiagnosticKind::InvalidAttributeName,
                    attribute_path.clone(),
                    format!("invalid message attribute name `{name}`: it {problem}"),
                    "use 1 to 256 letters, digits, `_`, `-` and `.` (not first or last, never two in a row), not starting with `AWS.` or `Amazon.`: `event_type`",
                );
            }
            let values = match (&attribute.values, attribute.data_type) {
                (None, _) => None,
                (Some(values), AttributeType::String | AttributeType::StringArray) => {
                    self.attribute_values(values, &attribute_path.key("values"))
                }
                (Some(_), data_type) => {
                    ok = false;
                    self.error(
                        DiagnosticKind::AttributeValuesNotAllowed,
                        attribute_path.key("values"),
                        format!(
                            "`values` applies only to `String` and `String.Array` attributes; `{name}` is `{}`",
                            data_type.as_str()
                        ),
                        "remove `values`, or make the attribute `type: String`",
                    );
                    None
                }
            };
            if ok {
                attributes.insert(name.clone(), MessageAttribute { data_type: attribute.data_type, values });
            }
        }
        attributes
    }

    /// The declared values, unless the list is empty or names a value twice.
    fn attribute_values(&mut self, values: &[String], path: &FieldPath) -> Option<BTreeSet<String>> {
        if values.is_empty() {
            self.error(
                DiagnosticKind::EmptyAttributeValues,
                path.clone(),
                "`values` is empty: no message could carry the attribute",
                "list every value the attribute takes, or remove `values` to allow any",
            );
            return None;
        }
        let mut seen = BTreeSet::new();
        let mut twice = BTreeSet::new();
        for value in values {
            if !seen.insert(value.clone()) {
                twice.insert(value.clone());
            }
        }
        if !twice.is_empty() {
            self.error(
                DiagnosticKind::DuplicateAttributeValue,
                path.clone(),
                format!("`values` lists {} more than once", quote_list(&twice)),
                "list each value once",
            );
            return None;
        }
        Some(seen)
    }
}

#[cfg(test)]
mod tests {
    use super::attribute_name_problem;

    #[test]
    fn attribute_names_follow_sns_rules() {
        for good in ["event_type", "segment", "a", "x.y-z_1", "AWSome", "amazonian", &"a".repeat(256)] {
            assert_eq!(attribute_name_problem(good), None, "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "AWS.trace", "aws.x", "Amazon.x", "AMAZON.x", "a b", "é", &"a".repeat(257)]
        {
            assert!(attribute_name_problem(bad).is_some(), "{bad}");
        }
    }
}
