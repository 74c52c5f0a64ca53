//! Whether a stack can be left alone: what a deploy would send is what the stack already has.
//!
//! A change set costs seconds to tens of seconds on AWS, three API calls at least and some of
//! the account's request quota, only for CloudFormation to say "no changes"; at organization
//! scale that is most of a deploy. The stack is skipped when all of these hold:
//! - its last operation succeeded (`CREATE_COMPLETE`, `UPDATE_COMPLETE`, `IMPORT_COMPLETE`):
//!   after a failed or rolled-back operation the stack is not what its template says;
//! - the template CloudFormation holds equals the one fanout would send, compared as JSON
//!   values: whitespace and key order mean nothing to CloudFormation, so they must not make a
//!   change (a template deployed by another fanout version, or stored reformatted), while
//!   every value that CloudFormation reads takes part;
//! - every parameter resolves to what SSM holds now: a topic replaced upstream has a new ARN
//!   under the same SSM name, and the stack must subscribe again;
//! - the stack tags are the ones fanout sets;
//! - the user did not pass `--force`.
//!
//! Pure: templates, parameters and tags in, a decision out.

use std::collections::BTreeMap;

use serde_json::Value;

/// A template parameter as DescribeStacks shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeployedParameter {
    /// `ParameterValue`: the SSM name for an SSM parameter type on AWS; the resolved value
    /// where the API shows no `ResolvedValue` (the emulator).
    pub value: String,
    /// `ResolvedValue`: what an SSM parameter type resolved to at the last deploy.
    pub resolved: Option<String>,
}

/// A template parameter as the next deploy would pass it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WantedParameter {
    pub key: String,
    /// The value passed: the SSM name.
    pub value: String,
    /// What SSM holds under that name now.
    pub resolved: String,
}

/// The stack as CloudFormation has it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deployed<'a> {
    pub status: &'a str,
    /// The template, parsed; `None` when it is not JSON.
    pub template: Option<&'a Value>,
    pub parameters: &'a BTreeMap<String, DeployedParameter>,
    pub tags: &'a BTreeMap<String, String>,
}

/// What the deploy would send.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted<'a> {
    pub template: &'a Value,
    pub parameters: &'a [WantedParameter],
    pub tags: &'a BTreeMap<String, String>,
}

/// Why a stack gets a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `--force`.
    Forced,
    /// The stack's last operation did not succeed.
    LastOperation {
        status: String,
    },
    /// The deployed template is not JSON, so it cannot be compared.
    UnreadableTemplate,
    Template,
    /// A parameter is new, gone, or resolves to another value now.
    Parameter {
        key: String,
        deployed: Option<String>,
        current: Option<String>,
    },
    Tags,
}

/// Whether the stack needs a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Identical: report "no changes" and create no change set.
    Unchanged,
    /// Something differs, or cannot be known to be equal.
    Changed(Vec<Reason>),
}

/// Statuses after which the stack is what its template says.
fn last_operation_succeeded(status: &str) -> bool {
    matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE")
}

/// Whether `deployed` resolves to what `wanted` would.
fn same_parameter(deployed: &DeployedParameter, wanted: &WantedParameter) -> bool {
    match &deployed.resolved {
        Some(resolved) => deployed.value == wanted.value && *resolved == wanted.resolved,
        // No resolved value shown: the value is the resolved one (the emulator), or the
        // stack's resolution is unknown and CloudFormation must compare.
        None => deployed.value == wanted.resolved,
    }
}

/// Decides whether `deployed` needs a change set to become `wanted`. Every reason is
/// listed, so a replaced upstream topic is reported even when the template changed too.
pub(crate) fn decide(deployed: Deployed<'_>, wanted: Wanted<'_>, force: bool) -> Decision {
    let mut reasons = Vec::new();
    if force {
        reasons.push(Reason::Forced);
    }
    if !last_operation_succeeded(deployed.status) {
        reasons.push(Reason::LastOperation { status: deployed.status.to_string() });
    }
    match deployed.template {
        None => reasons.push(Reason::UnreadableTemplate),
        Some(template) if template != wanted.template => reasons.push(Reason::Template),
        Some(_) => {}
    }
    for parameter in wanted.parameters {
        match deployed.parameters.get(&parameter.key) {
            Some(found) if same_parameter(found, parameter) => {}
            found => reasons.push(Reason::Parameter {
                key: parameter.key.clone(),
                deployed: found.map(|p| p.resolved.clone().unwrap_or_else(|| p.value.clone())),
                current: Some(parameter.resolved.clone()),
            }),
        }
    }
    for key in deployed.parameters.keys() {
        if !wanted.parameters.iter().any(|p| p.key == *key) {
            let deployed = deployed.parameters.get(key).map(|p| p.value.clone());
            reasons.push(Reason::Parameter { key: key.clone(), deployed, current: None });
        }
    }
    if deployed.tags != wanted.tags {
        reasons.push(Reason::Tags);
    }
    if reasons.is_empty() { Decision::Unchanged } else { Decision::Changed(reasons) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SSM_NAME: &str = "/fanout/dev/ingestion/topics/ready/arn";
    const ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-ingestion-ready";
    const NEW_ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-ingestion-ready-2";

    fn template() -> Value {
        json!({
            "Parameters": { "IngestionReadyTopicArn": { "Type": "AWS::SSM::Parameter::Value<String>" } },
            "Resources": { "InboxQueue": { "Type": "AWS::SQS::Queue", "Properties": { "QueueName": "dev-x-inbox" } } }
        })
    }

    fn tags() -> BTreeMap<String, String> {
        [("fanout:domain", "x"), ("fanout:stage", "dev")].into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    fn wanted_parameters(resolved: &str) -> Vec<WantedParameter> {
        vec![WantedParameter {
            key: "IngestionReadyTopicArn".into(),
            value: SSM_NAME.into(),
            resolved: resolved.into(),
        }]
    }

    /// As AWS shows a stack: the SSM name as the value, the ARN it resolved to beside it.
    fn deployed_parameters(resolved: &str) -> BTreeMap<String, DeployedParameter> {
        BTreeMap::from([(
            "IngestionReadyTopicArn".to_string(),
            DeployedParameter { value: SSM_NAME.into(), resolved: Some(resolved.into()) },
        )])
    }

    struct Case {
        status: &'static str,
        template: Option<Value>,
        parameters: BTreeMap<String, DeployedParameter>,
        tags: BTreeMap<String, String>,
    }

    impl Case {
        fn same() -> Self {
            Self {
                status: "UPDATE_COMPLETE",
                template: Some(template()),
                parameters: deployed_parameters(ARN),
                tags: tags(),
            }
        }

        fn decide(&self, wanted: &[WantedParameter], force: bool) -> Decision {
            let deployed = Deployed {
                status: self.status,
                template: self.template.as_ref(),
                parameters: &self.parameters,
                tags: &self.tags,
            };
            decide(deployed, Wanted { template: &template(), parameters: wanted, tags: &tags() }, force)
        }
    }

    #[test]
    fn same_template_parameters_and_tags_are_unchanged() {
        assert_eq!(Case::same().decide(&wanted_parameters(ARN), false), Decision::Unchanged);
        let created = Case { status: "CREATE_COMPLETE", ..Case::same() };
        assert_eq!(created.decide(&wanted_parameters(ARN), false), Decision::Unchanged);
        let imported = Case { status: "IMPORT_COMPLETE", ..Case::same() };
        assert_eq!(imported.decide(&wanted_parameters(ARN), false), Decision::Unchanged);
    }

    #[test]
    fn same_template_in_another_layout_is_unchanged() {
        // Reordered keys and other whitespace: the same document to CloudFormation.
        let text = r#"{"Resources":{"InboxQueue":{"Properties":{"QueueName":"dev-x-inbox"},"Type":"AWS::SQS::Queue"}},
            "Parameters":{"IngestionReadyTopicArn":{"Type":"AWS::SSM::Parameter::Value<String>"}}}"#;
        let case = Case { template: Some(serde_json::from_str(text).unwrap()), ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Unchanged);
    }

    #[test]
    fn a_different_template_value_is_a_change() {
        let mut changed = template();
        changed["Resources"]["InboxQueue"]["Properties"]["VisibilityTimeout"] = json!(60);
        let case = Case { template: Some(changed), ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(vec![Reason::Template]));
    }

    #[test]
    fn a_template_that_is_not_json_is_never_skipped() {
        let case = Case { template: None, ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(vec![Reason::UnreadableTemplate]));
    }

    #[test]
    fn a_replaced_upstream_topic_is_a_change() {
        // SSM holds a new ARN under the same name; the stack still subscribes to the old one.
        assert_eq!(
            Case::same().decide(&wanted_parameters(NEW_ARN), false),
            Decision::Changed(vec![Reason::Parameter {
                key: "IngestionReadyTopicArn".into(),
                deployed: Some(ARN.into()),
                current: Some(NEW_ARN.into()),
            }])
        );
    }

    #[test]
    fn a_parameter_passed_under_another_ssm_name_is_a_change() {
        let mut parameters = deployed_parameters(ARN);
        parameters.get_mut("IngestionReadyTopicArn").unwrap().value = "/old/prefix/arn".into();
        let case = Case { parameters, ..Case::same() };
        assert!(
            matches!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(r) if matches!(r[..], [Reason::Parameter { .. }]))
        );
    }

    #[test]
    fn a_resolved_value_shown_as_the_value_is_compared_with_ssm() {
        // The emulator shows the resolved ARN as `ParameterValue` and no `ResolvedValue`.
        let shown = |value: &str| {
            BTreeMap::from([(
                "IngestionReadyTopicArn".to_string(),
                DeployedParameter { value: value.into(), resolved: None },
            )])
        };
        let case = Case { parameters: shown(ARN), ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Unchanged);
        assert!(matches!(case.decide(&wanted_parameters(NEW_ARN), false), Decision::Changed(_)));
        // Only the SSM name, and no resolved value: what it resolved to is unknown.
        let unknown = Case { parameters: shown(SSM_NAME), ..Case::same() };
        assert!(matches!(unknown.decide(&wanted_parameters(ARN), false), Decision::Changed(_)));
    }

    #[test]
    fn an_added_or_removed_parameter_is_a_change() {
        let added = Case { parameters: BTreeMap::new(), ..Case::same() };
        assert_eq!(
            added.decide(&wanted_parameters(ARN), false),
            Decision::Changed(vec![Reason::Parameter {
                key: "IngestionReadyTopicArn".into(),
                deployed: None,
                current: Some(ARN.into()),
            }])
        );
        assert_eq!(
            Case::same().decide(&[], false),
            Decision::Changed(vec![Reason::Parameter {
                key: "IngestionReadyTopicArn".into(),
                deployed: Some(SSM_NAME.into()),
                current: None,
            }])
        );
    }

    #[test]
    fn a_different_tag_is_a_change() {
        let mut other = tags();
        other.insert("fanout:stage".into(), "prod".into());
        let case = Case { tags: other, ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(vec![Reason::Tags]));
        let mut extra = tags();
        extra.insert("team".into(), "billing".into());
        let case = Case { tags: extra, ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(vec![Reason::Tags]));
        let case = Case { tags: BTreeMap::new(), ..Case::same() };
        assert_eq!(case.decide(&wanted_parameters(ARN), false), Decision::Changed(vec![Reason::Tags]));
    }

    #[test]
    fn a_failed_or_rolled_back_last_operation_is_never_skipped() {
        for status in [
            "UPDATE_ROLLBACK_COMPLETE",
            "ROLLBACK_COMPLETE",
            "IMPORT_ROLLBACK_COMPLETE",
            "UPDATE_FAILED",
            "UPDATE_ROLLBACK_FAILED",
        ] {
            let case = Case { status, ..Case::same() };
            assert_eq!(
                case.decide(&wanted_parameters(ARN), false),
                Decision::Changed(vec![Reason::LastOperation { status: status.into() }]),
                "{status}"
            );
        }
    }

    #[test]
    fn forced_is_never_skipped() {
        assert_eq!(Case::same().decide(&wanted_parameters(ARN), true), Decision::Changed(vec![Reason::Forced]));
    }

    #[test]
    fn every_reason_is_listed() {
        let mut changed = template();
        changed["Resources"]["Other"] = json!({ "Type": "AWS::SNS::Topic" });
        let case =
            Case { status: "UPDATE_ROLLBACK_COMPLETE", template: Some(changed), tags: BTreeMap::new(), ..Case::same() };
        let Decision::Changed(reasons) = case.decide(&wanted_parameters(NEW_ARN), true) else { panic!("changed") };
        assert_eq!(reasons.len(), 5, "{reasons:?}");
    }
}
