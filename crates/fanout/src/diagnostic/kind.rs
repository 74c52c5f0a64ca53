//! The kinds of diagnostics: one stable, kebab-case identifier per rule, with its help text.
//!
//! A new check adds its kind here, in the group it belongs to; the identifier is a contract
//! with tools that read `fanout validate --format json` (and with `docs/diagnostics.md`,
//! generated from this list), so it never changes once released.

use std::fmt;

use serde::Serialize;

/// Declares [`DiagnosticKind`]: each variant's doc comment is its help text.
macro_rules! kinds {
    ($($(#[doc = $help:literal])+ $variant:ident = $id:literal,)*) => {
        /// Which rule a [`Diagnostic`](super::Diagnostic) reports: [`DiagnosticKind::id`] is
        /// its stable identifier (`duplicate-key`), [`DiagnosticKind::help`] what it means.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum DiagnosticKind {
            $($(#[doc = $help])+ $variant,)*
        }

        impl DiagnosticKind {
            /// Every kind, in the order of the list.
            pub const ALL: &'static [DiagnosticKind] = &[$(Self::$variant),*];

            /// The stable identifier: short, kebab-case, unique.
            pub fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }

            /// What the rule checks and why, in a sentence or two.
            pub fn help(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!($($help),+).trim_start(),)*
                }
            }
        }
    };
}

kinds! {
    // Reading files.
    /// A manifest is not a regular file: a folder, a pipe, a device or a broken link named like one.
    NotAFile = "not-a-file",
    /// A manifest or schema file could not be read.
    UnreadableFile = "unreadable-file",
    /// A manifest is larger than fanout reads; manifests are a few kilobytes.
    FileTooLarge = "file-too-large",
    /// A manifest is not UTF-8 text.
    NotUtf8 = "not-utf8",
    /// A file or folder in the manifests folder that is neither a manifest nor referenced by one.
    StrayFile = "stray-file",

    // Reading YAML.
    /// The text is not valid YAML.
    YamlSyntax = "yaml-syntax",
    /// A mapping names the same key twice; YAML readers disagree on which one counts.
    DuplicateKey = "duplicate-key",
    /// A YAML tag (`!Sub`, `!!str`): manifests hold plain values, and a tag would be dropped or
    /// mean something only another tool understands.
    YamlTag = "yaml-tag",
    /// A mapping key that is a list or a mapping; keys are names.
    ComplexKey = "complex-key",
    /// More than one YAML document in one file.
    MultipleDocuments = "multiple-documents",
    /// Nesting far deeper than any manifest needs.
    NestingTooDeep = "nesting-too-deep",
    /// Aliases that repeat more of the document than any manifest needs.
    AliasExpansion = "alias-expansion",
    /// A manifest file with no content.
    EmptyManifest = "empty-manifest",

    // The shape of a manifest.
    /// A field the manifest (or `fanout.yaml`) does not have, often a typo.
    UnknownField = "unknown-field",
    /// A required field is not written.
    MissingField = "missing-field",
    /// A value of the wrong type: text where a list is expected, a number where text is.
    WrongType = "wrong-type",
    /// A value of the right type that is not one of the accepted ones.
    InvalidValue = "invalid-value",
    /// A file with so many shape errors that reading stopped before its end.
    TooManyErrors = "too-many-errors",
    /// A CloudFormation dynamic reference (`{{resolve:...}}`) in a manifest string or an event
    /// schema: CloudFormation would resolve it at deploy, copying an SSM parameter or a secret
    /// into the template.
    DynamicReference = "dynamic-reference",

    // Names and the domain.
    /// A domain, topic, queue or stage name that is not lowercase letters, digits and single hyphens.
    InvalidName = "invalid-name",
    /// A domain's manifest file is not named after the domain.
    FileNameMismatch = "file-name-mismatch",
    /// Two manifests (or two builders) define the same domain.
    DuplicateDomain = "duplicate-domain",
    /// A domain built in Rust adds the same topic or queue twice.
    AddedTwice = "added-twice",
    /// A domain description longer than a CloudFormation template description holds.
    DescriptionTooLong = "description-too-long",
    /// Two names give the same CloudFormation logical ID.
    LogicalIdCollision = "logical-id-collision",

    // Tags and owner.
    /// More tags than AWS allows on a resource, counting the ones fanout adds.
    TooManyTags = "too-many-tags",
    /// A tag fanout sets itself (`domain`, `stage`, `owner`).
    ReservedTag = "reserved-tag",
    /// A tag key AWS refuses.
    InvalidTagKey = "invalid-tag-key",
    /// A tag value AWS refuses.
    InvalidTagValue = "invalid-tag-value",
    /// An owner that cannot be a tag value.
    InvalidOwner = "invalid-owner",

    // Encryption.
    /// An AWS-managed key (`alias/aws/...`) as a domain's `kms_key`: its policy belongs to AWS
    /// and cannot let SNS, CloudWatch or the publish roles use it.
    AwsManagedKey = "aws-managed-key",
    /// A `kms_key` that is neither a key ARN nor an alias.
    InvalidKmsKey = "invalid-kms-key",
    /// A key managed elsewhere: SNS can deliver only if its policy allows it.
    ExistingKeyNeedsSnsGrant = "existing-key-needs-sns-grant",

    // Topics and queues.
    /// A FIFO-only setting on a standard topic or queue.
    FifoOnlySetting = "fifo-only-setting",
    /// A duration that is not a whole number with a unit (`30s`, `15m`, `12h`, `4d`).
    InvalidDuration = "invalid-duration",
    /// A duration outside the range AWS allows for the setting.
    DurationOutOfRange = "duration-out-of-range",
    /// A `max_receive_count` outside 1 to 1000.
    MaxReceiveCountOutOfRange = "max-receive-count-out-of-range",
    /// More subscriptions than a queue policy has statements for.
    TooManySubscriptions = "too-many-subscriptions",
    /// A queue subscribes to the same topic twice.
    DuplicateSubscription = "duplicate-subscription",
    /// A subscription's `topic` is not `<domain>/<topic>` or a bare topic name.
    InvalidTopicReference = "invalid-topic-reference",
    /// A message attribute name SNS refuses: 1 to 256 letters, digits, `_`, `-` and `.`, no
    /// period first, last or twice in a row, no `AWS.` or `Amazon.` prefix.
    InvalidAttributeName = "invalid-attribute-name",
    /// More message attributes on a topic than SNS delivers to a queue with raw message delivery (10).
    TooManyAttributes = "too-many-attributes",
    /// `values` on a `Number` or `Binary` attribute: only string attributes list their values.
    AttributeValuesNotAllowed = "attribute-values-not-allowed",
    /// An attribute's `values` that is empty, so no message could carry the attribute.
    EmptyAttributeValues = "empty-attribute-values",
    /// An attribute's `values` that lists a value twice.
    DuplicateAttributeValue = "duplicate-attribute-value",
    /// A standard queue with `dead_letter: false` subscribed to a topic of another repo: what
    /// SNS cannot deliver is dropped, as the topic's kind, which a dead-letter queue must
    /// match, is known only at deploy.
    UndeliveredDropped = "undelivered-dropped",

    // Filter policies.
    /// A filter with both `attributes` and `body`.
    FilterAttributesAndBody = "filter-attributes-and-body",
    /// A filter with neither `attributes` nor `body`.
    EmptyFilter = "empty-filter",
    /// A filter policy with no keys.
    EmptyFilterPolicy = "empty-filter-policy",
    /// A filter policy over SNS's limit of keys.
    FilterTooManyKeys = "filter-too-many-keys",
    /// A filter policy over SNS's limit of value combinations.
    FilterTooManyCombinations = "filter-too-many-combinations",
    /// A filter policy over SNS's size limit.
    FilterPolicyTooLarge = "filter-policy-too-large",
    /// A nested object in an attribute filter policy, which is flat.
    NestedAttributeFilter = "nested-attribute-filter",
    /// A filter key whose value is not a non-empty list.
    FilterValuesNotAList = "filter-values-not-a-list",
    /// A body filter policy nested deeper than SNS reads.
    FilterTooDeep = "filter-too-deep",
    /// A filter operator (`prefix`, `numeric`, ...) written as a key instead of inside a list of
    /// values, where SNS would read it as a plain key.
    FilterOperatorAsKey = "filter-operator-as-key",
    /// An `$or` with fewer than two alternatives, or an alternative that is not a non-empty policy.
    InvalidFilterOr = "invalid-filter-or",
    /// A filter condition SNS refuses: a nested list, an unknown operator, more than one
    /// operator, or an operand its operator does not take.
    InvalidFilterCondition = "invalid-filter-condition",
    /// A number in a filter policy that SNS cannot compare: beyond ±1,000,000,000 or with more
    /// than five decimals.
    FilterNumberOutOfRange = "filter-number-out-of-range",

    // Alerts.
    /// `alerts` without an email address or topic to notify.
    AlertsWithoutRecipients = "alerts-without-recipients",
    /// An alert recipient that is not an email address.
    InvalidEmail = "invalid-email",
    /// The same alert email address twice.
    DuplicateEmail = "duplicate-email",
    /// An alert `topic_arn` that is not an SNS topic ARN.
    InvalidTopicArn = "invalid-topic-arn",
    /// Email alerts with service-managed encryption: CloudWatch cannot publish to a topic under `alias/aws/sns`.
    AlertsOnAwsManagedKey = "alerts-on-aws-managed-key",
    /// Email alerts under a key managed elsewhere: CloudWatch can publish only if its policy allows it.
    AlertsKeyNeedsCloudwatchGrant = "alerts-key-needs-cloudwatch-grant",
    /// A queue's own `alerts` in a domain without alert recipients.
    QueueAlertsWithoutDomainAlerts = "queue-alerts-without-domain-alerts",

    // The REST API (`http`).
    /// `http` settings in a domain where no topic or queue has `http: true`: they apply to nothing.
    HttpWithoutEndpoints = "http-without-endpoints",
    /// A throttling limit outside what API Gateway takes.
    ThrottleOutOfRange = "throttle-out-of-range",
    /// A throttling limit above API Gateway's default account quota, which caps every stage unless raised.
    ThrottleAboveQuota = "throttle-above-quota",
    /// A `web_acl_arn` that is not the ARN of a regional WAF web ACL.
    InvalidWebAclArn = "invalid-web-acl-arn",

    // Event schemas.
    /// A schema path that is absolute; it must be relative to the manifest's folder.
    AbsoluteSchemaPath = "absolute-schema-path",
    /// A schema that the caller did not read (a project assembled without a schema reader).
    SchemaNotRead = "schema-not-read",
    /// A schema file that could not be read.
    UnreadableSchema = "unreadable-schema",
    /// A schema file that is not JSON.
    SchemaNotJson = "schema-not-json",
    /// A schema that is not a valid JSON Schema.
    InvalidSchema = "invalid-schema",
    /// A schema too large for a standard SSM parameter.
    SchemaTooLarge = "schema-too-large",
    /// A schema of a topic with `http` that uses keywords API Gateway (JSON Schema draft 4) does not know.
    SchemaNotDraft4 = "schema-not-draft-4",
    /// An event that is not JSON (`fanout event check`).
    EventNotJson = "event-not-json",
    /// An event that does not match its topic's schema (`fanout event check`).
    EventSchemaMismatch = "event-schema-mismatch",
    /// An event file larger than SNS takes in one message (`fanout event check`).
    EventTooLarge = "event-too-large",
    /// An event `fanout publish` will not send: not JSON, outside its topic's schema, or without
    /// the message group or deduplication ID its FIFO topic needs. Nothing is sent until all pass.
    EventNotPublishable = "event-not-publishable",

    // Repo settings.
    /// An SSM prefix that is not like `/fanout`.
    InvalidSsmPrefix = "invalid-ssm-prefix",
    /// An SSM prefix under `/aws` or `/ssm`, which AWS reserves.
    ReservedSsmPrefix = "reserved-ssm-prefix",
    /// An SSM prefix with more levels than SSM allows beside the ones fanout adds.
    SsmPrefixTooDeep = "ssm-prefix-too-deep",
    /// The same stage listed twice.
    DuplicateStage = "duplicate-stage",
    /// No stages listed.
    NoStages = "no-stages",

    // Across domains.
    /// A subscription to a topic that its domain, in this repo, does not publish.
    UnknownTopic = "unknown-topic",
    /// A FIFO queue subscribed to a standard topic, which AWS rejects.
    FifoQueueOnStandardTopic = "fifo-queue-on-standard-topic",
    /// A standard queue subscribed to a FIFO topic: ordering and deduplication are lost.
    StandardQueueOnFifoTopic = "standard-queue-on-fifo-topic",
    /// A stack name longer than CloudFormation allows.
    StackNameTooLong = "stack-name-too-long",
    /// A queue name (with stage, domain and suffixes) longer than SQS allows.
    QueueNameTooLong = "queue-name-too-long",
    /// A topic name (with stage and domain) longer than SNS allows.
    TopicNameTooLong = "topic-name-too-long",
    /// An SSM parameter name longer than SSM allows.
    SsmNameTooLong = "ssm-name-too-long",
    /// A template with more resources, outputs or parameters than CloudFormation allows.
    TemplateLimit = "template-limit",
    /// A template larger than CloudFormation accepts, in the stage with the longest name.
    TemplateTooLarge = "template-too-large",
    /// A template larger than CloudFormation takes inline: `fanout deploy` must upload it to an
    /// S3 bucket first.
    TemplateNeedsBucket = "template-needs-bucket",
    /// Two resources, of one domain or of two, in one stage or two, that get the same physical
    /// name (joined with `-`), so one would replace or break the other.
    PhysicalNameCollision = "physical-name-collision",
    /// A subscription's attribute filter reads a message attribute its topic does not declare,
    /// so no message matches it as written.
    UnknownFilterAttribute = "unknown-filter-attribute",
    /// A subscription's attribute filter accepts a string value its topic declares the
    /// attribute never takes.
    FilterValueNotDeclared = "filter-value-not-declared",
    /// A number condition on a `String` attribute, or a string condition on a `Number` one:
    /// SNS never matches it.
    FilterTypeMismatch = "filter-type-mismatch",
    /// A filter on a `Binary` message attribute, which SNS never matches.
    FilterOnBinaryAttribute = "filter-on-binary-attribute",
    /// A body filter key no event of the topic can have, by the topic's schema.
    FilterKeyNotInSchema = "filter-key-not-in-schema",
    /// A topic's contract or a consumer's registration larger than a standard SSM parameter holds.
    SsmValueTooLarge = "ssm-value-too-large",
    /// `fanout.lock` that is not a lock fanout can read: not its JSON, another version, or a
    /// schema that is not the one its contract names. Run `fanout lock` again.
    InvalidLock = "invalid-lock",
    /// A subscription to a topic of another repo with no contract in `fanout.lock` for some
    /// stage: its kind, attributes and schema are not checked until `fanout lock` locks it.
    UnlockedTopic = "unlocked-topic",
    /// A contract in `fanout.lock` no subscription of the repo uses, or of a stage not configured.
    UnusedLockEntry = "unused-lock-entry",
    /// Domains whose queues subscribe to each other's topics in a circle, which no deploy order
    /// satisfies.
    SubscriptionCycle = "subscription-cycle",

    // The templates written to the repo.
    /// A template in the output folder that is not what the manifests synthesize: stale, missing,
    /// or left from a domain or stage that is gone (`fanout synth --check`). Run `fanout synth`
    /// and commit the result.
    StaleTemplate = "stale-template",
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for DiagnosticKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// `docs/diagnostics.md`: every kind with its help text, generated from the list above.
pub fn reference_markdown() -> String {
    let mut text = String::from(
        "# Diagnostics\n\n\
         <!-- Generated from `crates/fanout/src/diagnostic/kind.rs` by `FANOUT_BLESS=1 cargo test -p fanout-tests --test generated_docs`; do not edit. -->\n\n\
         Every diagnostic fanout reports has a kind: a stable identifier, in the `kind` field of `fanout validate --format json`.\n\n\
         | kind | meaning |\n| --- | --- |\n",
    );
    for kind in DiagnosticKind::ALL {
        text.push_str(&format!("| `{}` | {} |\n", kind.id(), kind.help().replace('|', "\\|")));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::DiagnosticKind;

    #[test]
    fn every_kind_has_a_unique_kebab_case_id_and_help() {
        let mut ids = BTreeSet::new();
        for kind in DiagnosticKind::ALL {
            let id = kind.id();
            assert!(ids.insert(id), "`{id}` is used twice");
            assert!(
                !id.is_empty()
                    && id
                        .split('-')
                        .all(|word| !word.is_empty()
                            && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "`{id}` is not kebab-case"
            );
            let help = kind.help();
            assert!(help.len() > 10 && help.ends_with('.'), "`{id}` has no help sentence: {help:?}");
        }
    }
}
