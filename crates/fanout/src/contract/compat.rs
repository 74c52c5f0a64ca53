//! Whether a change of a topic's contract breaks the consumers that depend on it.
//!
//! A change is breaking when a consumer written against the old contract can receive a
//! message it was not promised, or stops receiving messages it relied on: the topic's kind
//! changes, an attribute, its type or one of its values is gone, an attribute takes values it
//! did not take, or the schema accepts an event the old one rejected. The rules, with their
//! reasons, are in `docs/compatibility.md`.
//!
//! # Schemas: our own subset, not `json-schema-diff`
//!
//! `json-schema-diff` (getsentry) was tried first, in the reverse direction (its "breaking" is
//! the validator's view: the old schema accepts something the new one rejects; ours is the
//! consumer's). On 23 cases it took about 0.1 ms each and answered 18 right, but it reported
//! "no change" for 4 changes that widen what a consumer can get (`additionalProperties: false`
//! removed, a `oneOf` branch added, a `not` dropped, `minItems` lowered) and could not read a
//! draft-4 schema with a boolean `exclusiveMinimum`, which API Gateway requires of the schemas
//! of HTTP topics. A silent "compatible" is the one answer this check must not give, so fanout
//! decides it here instead.
//!
//! [`schema_changes`] shows that the new schema accepts no more than the old: for every
//! constraint of the old schema, the new one must imply it. It knows `type`, `enum`, `const`,
//! `properties`, `required`, `additionalProperties`, `items` (one schema, or by position with
//! `additionalItems` or `prefixItems`), `minimum`/`maximum` and `exclusiveMinimum`/`exclusiveMaximum` (draft-4
//! booleans and later numbers), `multipleOf`, `minLength`/`maxLength`, `pattern`, `format`,
//! `minItems`/`maxItems`/`uniqueItems`, `minProperties`/`maxProperties`, `allOf`, `anyOf`, and
//! `$ref` to any place in the same document (`#/definitions/…`, `#/$defs/…`). A new `enum` or
//! `const` is checked value by value against the old schema with the validator. Any other
//! keyword of the old schema must be unchanged in the new one; anything it cannot show is
//! breaking with the reason "cannot show the new schema accepts no more than the old".
//!
//! A test holds the comparison to what it promises: over pairs of sample schemas, whenever it
//! says compatible, no sample event valid against the new schema is invalid against the old.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::published::{AttributeContract, TopicContract};

/// One difference between two contracts of a topic, for its consumers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether a consumer of the old contract can break.
    pub breaking: bool,
    /// What changed, in a few words (`attribute `segment` removed`).
    pub what: String,
    /// Why it is breaking or compatible, for a consumer.
    pub reason: String,
    /// The message attribute it concerns, if any: consumers whose filters do not read it are
    /// not affected.
    pub attribute: Option<String>,
}

impl Change {
    fn breaking(what: impl Into<String>, reason: impl Into<String>) -> Change {
        Change { breaking: true, what: what.into(), reason: reason.into(), attribute: None }
    }

    fn compatible(what: impl Into<String>, reason: impl Into<String>) -> Change {
        Change { breaking: false, what: what.into(), reason: reason.into(), attribute: None }
    }

    fn on(mut self, attribute: &str) -> Change {
        self.attribute = Some(attribute.to_string());
        self
    }
}

/// Every difference from `old` to `new`, breaking ones first, then by `what`; the schemas
/// are the documents the contracts' digests are of (`None` when the topic has none, or when
/// the caller does not hold the document).
pub fn classify(
    old: &TopicContract,
    old_schema: Option<&Value>,
    new: &TopicContract,
    new_schema: Option<&Value>,
) -> Vec<Change> {
    let mut changes = kind_changes(old, new);
    changes.extend(attribute_changes(old, new));
    changes.extend(schema_change(old, old_schema, new, new_schema));
    changes.sort_by(|a, b| (!a.breaking, &a.what).cmp(&(!b.breaking, &b.what)));
    changes.dedup();
    changes
}

fn kind(fifo: bool) -> &'static str {
    if fifo { "FIFO" } else { "standard" }
}

fn kind_changes(old: &TopicContract, new: &TopicContract) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.fifo != new.fifo {
        changes.push(Change::breaking(
            format!("kind changed from {} to {}", kind(old.fifo), kind(new.fifo)),
            "a FIFO topic takes only FIFO queues and a standard one only standard queues: every subscription must be made again, and ordering and exactly-once delivery change",
        ));
    }
    // Explicit deduplication IDs win over the body hash, and without content-based
    // deduplication every publish must carry one: what consumers receive does not change
    // either way. Publishers are the producer's own, and fail loudly when they rely on it.
    if old.fifo && new.fifo && old.content_based_deduplication != new.content_based_deduplication {
        if new.content_based_deduplication {
            changes.push(Change::compatible(
                "content-based deduplication turned on",
                "publishes so far all carried a deduplication ID, which still decides: consumers get the same messages",
            ));
        } else {
            changes.push(Change::compatible(
                "content-based deduplication turned off",
                "the producer's publishes must now carry a deduplication ID or fail; a message that is published reaches consumers as before",
            ));
        }
    }
    changes
}

fn attribute_changes(old: &TopicContract, new: &TopicContract) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, before) in &old.attributes {
        match new.attributes.get(name) {
            None => changes.push(
                Change::breaking(
                    format!("attribute `{name}` removed"),
                    "messages no longer carry it: a filter on it matches nothing, and code that reads it finds nothing",
                )
                .on(name),
            ),
            Some(after) => changes.extend(attribute_change(name, before, after)),
        }
    }
    for name in new.attributes.keys().filter(|name| !old.attributes.contains_key(*name)) {
        changes.push(
            Change::compatible(
                format!("attribute `{name}` added"),
                "consumers that do not read it get the same messages; filters can now use it",
            )
            .on(name),
        );
    }
    changes
}

fn attribute_change(name: &str, before: &AttributeContract, after: &AttributeContract) -> Vec<Change> {
    if before.data_type != after.data_type {
        return vec![
            Change::breaking(
                format!(
                    "attribute `{name}` type changed from `{}` to `{}`",
                    before.data_type.as_str(),
                    after.data_type.as_str()
                ),
                "a filter written for the old type stops matching, and code that parses the value gets another kind of value",
            )
            .on(name),
        ];
    }
    match (&before.values, &after.values) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec![Change::breaking(
            format!("attribute `{name}` takes any value"),
            "it took only its listed values: a consumer that reads it without a filter listing the values it accepts can get one it does not know",
        )],
        (None, Some(values)) => vec![
            Change::compatible(
                format!("attribute `{name}` restricted to {}", quoted(values.iter())),
                "it took any value: every value it takes now, it could take before",
            )
            .on(name),
        ],
        (Some(before), Some(after)) => {
            let mut changes = Vec::new();
            let removed: Vec<&String> = before.iter().filter(|value| !after.contains(value)).collect();
            let added: Vec<&String> = after.iter().filter(|value| !before.contains(value)).collect();
            if !removed.is_empty() {
                changes.push(
                    Change::breaking(
                        format!("attribute `{name}` no longer takes {}", quoted(removed.into_iter())),
                        "a filter on those values stops matching: its queue stops getting those messages",
                    )
                    .on(name),
                );
            }
            if !added.is_empty() {
                changes.push(Change::breaking(
                    format!("attribute `{name}` takes {}", quoted(added.into_iter())),
                    "a consumer whose filter lists the values it accepts is unaffected, but one that reads the attribute without such a filter can get a value it does not know",
                ));
            }
            changes
        }
    }
}

fn quoted<'a>(values: impl Iterator<Item = &'a String>) -> String {
    values.map(|value| format!("`{value}`")).collect::<Vec<_>>().join(", ")
}

const WIDER: &str = "a consumer that validates events against the old schema can get one it rejects";

fn schema_change(
    old: &TopicContract,
    old_schema: Option<&Value>,
    new: &TopicContract,
    new_schema: Option<&Value>,
) -> Vec<Change> {
    match (old_schema, new_schema) {
        (Some(old_schema), Some(new_schema)) if old_schema != new_schema => schema_changes(old_schema, new_schema),
        (Some(_), Some(_)) => Vec::new(),
        _ if old.schema_digest == new.schema_digest => Vec::new(),
        (_, None) if new.schema_digest.is_none() => vec![Change::breaking(
            "schema removed",
            "events are no longer checked: a consumer can get any JSON, also events the old schema rejected",
        )],
        (None, _) if old.schema_digest.is_none() => vec![Change::compatible(
            "schema added",
            "any JSON could be published before: every event the schema accepts, consumers could get already",
        )],
        _ => vec![Change::breaking(
            "schema changed",
            "cannot show the new schema accepts no more than the old: the schema document was not at hand, only its digest",
        )],
    }
}

/// How `old_schema` changed into `new_schema` for a consumer: one breaking change for each
/// place where the new schema accepts an event the old one rejected, or one compatible change
/// when the new one accepts only events the old one accepted.
pub fn schema_changes(old_schema: &Value, new_schema: &Value) -> Vec<Change> {
    let walk = Walk {
        old_root: old_schema,
        new_root: new_schema,
        definitions_equal: definitions(old_schema) == definitions(new_schema),
        comparing: RefCell::new(Vec::new()),
    };
    let mut findings = Vec::new();
    walk.subset(new_schema, old_schema, "", 0, &mut findings);
    if findings.is_empty() {
        return vec![Change::compatible(
            "schema narrowed",
            "every event the new schema accepts, the old one accepted: consumers get no event they were not promised",
        )];
    }
    findings
        .into_iter()
        .map(|finding| {
            let at = if finding.at.is_empty() { "/" } else { finding.at.as_str() };
            Change::breaking(format!("schema at `{at}`: {}", finding.what), finding.reason)
        })
        .collect()
}

fn definitions(schema: &Value) -> (Option<&Value>, Option<&Value>) {
    (schema.get("definitions"), schema.get("$defs"))
}

/// Where the new schema may accept more, at a place in the event (a JSON Pointer; `*` stands
/// for any other property or any array item).
struct Finding {
    at: String,
    what: String,
    reason: String,
}

fn finding(out: &mut Vec<Finding>, at: &str, what: impl Into<String>) {
    out.push(Finding { at: at.to_string(), what: what.into(), reason: WIDER.to_string() });
}

fn unknown(out: &mut Vec<Finding>, at: &str, what: impl Into<String>) {
    out.push(Finding {
        at: at.to_string(),
        what: what.into(),
        reason: "cannot show the new schema accepts no more than the old; check it by hand and deploy with `--allow-breaking` if it does".to_string(),
    });
}

/// Keywords that only annotate: they never reject an event.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "id",
    "$anchor",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "definitions",
    "$defs",
    "readOnly",
    "writeOnly",
    "deprecated",
    "contentMediaType",
    "contentEncoding",
];

/// Keywords [`Walk::subset`] compares.
const UNDERSTOOD: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "allOf",
    "anyOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "properties",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
];

/// Keywords whose meaning depends on their siblings: unchanged is not enough.
const CONTEXTUAL: &[&str] = &[
    "unevaluatedProperties",
    "unevaluatedItems",
    "$recursiveRef",
    "$dynamicRef",
    "$recursiveAnchor",
    "$dynamicAnchor",
];

/// Deeper than this, a schema is recursive or too deep to compare.
const MAX_DEPTH: usize = 48;

const TRUE: Value = Value::Bool(true);

struct Walk<'a> {
    old_root: &'a Value,
    new_root: &'a Value,
    definitions_equal: bool,
    /// The pairs (new, old) of subschemas being compared, by address.
    comparing: RefCell<Vec<(usize, usize)>>,
}

impl<'a> Walk<'a> {
    /// Two subschemas mean the same: equal, and any `$ref` in them points at equal
    /// definitions.
    fn same(&self, old: &Value, new: &Value) -> bool {
        old == new && (self.definitions_equal || !has_ref(old))
    }

    /// Records where `new` may accept a value at `at` that `old` rejects.
    fn subset(&self, new: &Value, old: &Value, at: &str, depth: usize, out: &mut Vec<Finding>) {
        let mut found = Vec::new();
        self.subset_of(new, old, at, depth, &mut found);
        // The new schema is its keywords and each of its `allOf` members at once: one of them
        // fitting in the old schema is enough.
        if !found.is_empty()
            && let Some(Value::Array(members)) = new.get("allOf")
            && members.iter().any(|member| {
                let mut trial = Vec::new();
                self.subset(member, old, at, depth + 1, &mut trial);
                trial.is_empty()
            })
        {
            return;
        }
        out.extend(found);
    }

    fn subset_of(&self, new: &Value, old: &Value, at: &str, depth: usize, out: &mut Vec<Finding>) {
        // A pair already being compared further up is assumed to hold: what breaks inside it
        // is found there (recursive schemas through `$ref`).
        let pair = (std::ptr::from_ref(new) as usize, std::ptr::from_ref(old) as usize);
        if self.comparing.borrow().contains(&pair) {
            return;
        }
        self.comparing.borrow_mut().push(pair);
        self.subset_here(new, old, at, depth, out);
        self.comparing.borrow_mut().pop();
    }

    fn subset_here(&self, new: &Value, old: &Value, at: &str, depth: usize, out: &mut Vec<Finding>) {
        if self.same(old, new) || accepts_anything(old) || new == &Value::Bool(false) {
            return;
        }
        if depth > MAX_DEPTH {
            unknown(out, at, "the schema is recursive or nested too deep to compare");
            return;
        }
        // A `$ref` in the new schema: its target alone accepts at least what the new schema
        // does, whatever the draft makes of the siblings.
        if let Some(reference) = new.get("$ref") {
            match resolve(self.new_root, reference) {
                Some(target) => self.subset(target, old, at, depth + 1, out),
                None => unknown(out, at, format!("`$ref` {reference} of the new schema is not in the document")),
            }
            return;
        }
        // A `$ref` in the old schema: the new one must imply its target and its siblings.
        if let Some(reference) = old.get("$ref") {
            match resolve(self.old_root, reference) {
                Some(target) => self.subset(new, target, at, depth + 1, out),
                None => unknown(out, at, format!("`$ref` {reference} of the old schema is not in the document")),
            }
            if let Value::Object(old) = old {
                let mut rest = old.clone();
                rest.remove("$ref");
                let rest = Value::Object(rest);
                if !accepts_anything(&rest) {
                    self.subset(new, &rest, at, depth + 1, out);
                }
            }
            return;
        }
        let (Value::Object(new_map), Value::Object(old_map)) = (new, old) else {
            finding(out, at, "accepts values where the old schema accepted none");
            return;
        };
        if let Some(values) = enumerated(new_map) {
            self.values_accepted(values, old, at, out);
            return;
        }
        for (keyword, value) in old_map {
            let keyword = keyword.as_str();
            if ANNOTATIONS.contains(&keyword) || UNDERSTOOD.contains(&keyword) {
                continue;
            }
            if CONTEXTUAL.contains(&keyword) {
                unknown(out, at, format!("`{keyword}` is in the old schema"));
            } else if !new_map.get(keyword).is_some_and(|new_value| self.same(value, new_value)) {
                unknown(out, at, format!("`{keyword}` changed"));
            }
        }
        if let Some(Value::Array(members)) = old_map.get("allOf") {
            for member in members {
                self.subset(new, member, at, depth + 1, out);
            }
        }
        if let Some(Value::Array(members)) = old_map.get("anyOf") {
            self.any_of(new_map, members, at, depth, out);
        }
        if enumerated(old_map).is_some() {
            finding(out, at, "accepts values outside the old `enum`/`const`");
            return;
        }
        let Some(types) = self.types(new_map, old_map, at, out) else { return };
        if types.iter().any(|kind| matches!(*kind, "number" | "integer")) {
            numbers(new_map, old_map, at, out);
        }
        if types.contains("string") {
            strings(new_map, old_map, at, out);
        }
        if types.contains("array") {
            self.arrays(new_map, old_map, at, depth, out);
        }
        if types.contains("object") {
            self.objects(new_map, old_map, at, depth, out);
        }
    }

    /// Every value of a new `enum`/`const` must be valid against the old schema.
    fn values_accepted(&self, values: Vec<&Value>, old: &Value, at: &str, out: &mut Vec<Finding>) {
        let Some(schema) = standalone(self.old_root, old) else {
            unknown(out, at, "the old schema refers to a place the check cannot reach");
            return;
        };
        let Ok(validator) = jsonschema::validator_for(&schema) else {
            unknown(out, at, "the old schema cannot be compiled");
            return;
        };
        for value in values {
            if !validator.is_valid(value) {
                finding(out, at, format!("accepts value `{value}`"));
            }
        }
    }

    /// The new schema accepts no more than the old `anyOf`: each of its own branches (or it
    /// whole) fits in one of the old branches.
    fn any_of(&self, new: &Map<String, Value>, old_members: &[Value], at: &str, depth: usize, out: &mut Vec<Finding>) {
        let fits = |candidate: &Value| {
            old_members.iter().any(|member| {
                let mut trial = Vec::new();
                self.subset(candidate, member, at, depth + 1, &mut trial);
                trial.is_empty()
            })
        };
        if new.get("anyOf").is_some_and(|members| self.same(&Value::Array(old_members.to_vec()), members)) {
            return;
        }
        let own = new.get("anyOf").or_else(|| new.get("oneOf"));
        let shown = match own {
            Some(Value::Array(branches)) => branches.iter().all(fits),
            _ => false,
        };
        if !shown && !self.whole_fits(new, old_members, at, depth) {
            finding(out, at, "accepts values that match no branch of the old `anyOf`");
        }
    }

    fn whole_fits(&self, new: &Map<String, Value>, old_members: &[Value], at: &str, depth: usize) -> bool {
        let new = Value::Object(new.clone());
        old_members.iter().any(|member| {
            let mut trial = Vec::new();
            self.subset(&new, member, at, depth + 1, &mut trial);
            trial.is_empty()
        })
    }

    /// The JSON types the new schema accepts, after checking they are all types the old one
    /// accepts; `None` when nothing is left to compare.
    fn types(
        &self,
        new: &Map<String, Value>,
        old: &Map<String, Value>,
        at: &str,
        out: &mut Vec<Finding>,
    ) -> Option<BTreeSet<&'static str>> {
        let new_types = types_of(new);
        match types_of(old) {
            None => Some(new_types.unwrap_or_else(all_types)),
            Some(old_types) => {
                let Some(new_types) = new_types else {
                    finding(out, at, format!("accepts any type, not only {}", type_list(&old_types)));
                    return None;
                };
                let allowed =
                    |kind: &&str| old_types.contains(kind) || (*kind == "integer" && old_types.contains("number"));
                let wider: BTreeSet<&str> = new_types.iter().filter(|kind| !allowed(kind)).copied().collect();
                if !wider.is_empty() {
                    finding(out, at, format!("accepts type {}, not only {}", type_list(&wider), type_list(&old_types)));
                }
                Some(new_types.into_iter().filter(|kind| allowed(kind)).collect())
            }
        }
    }

    fn arrays(
        &self,
        new: &Map<String, Value>,
        old: &Map<String, Value>,
        at: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        lower_count(new, old, "minItems", at, out);
        upper_count(new, old, "maxItems", at, out);
        if old.get("uniqueItems") == Some(&Value::Bool(true)) && new.get("uniqueItems") != Some(&Value::Bool(true)) {
            finding(out, at, "accepts repeated items (`uniqueItems` dropped)");
        }
        let item = format!("{at}/*");
        let (old_positions, old_rest) = item_schemas(old);
        let (new_positions, new_rest) = item_schemas(new);
        if let Some(old_positions) = old_positions {
            let same_positions = new_positions.is_some_and(|positions| self.same(old_positions, positions));
            let same_rest = match (old_rest, new_rest) {
                (Some(old), Some(new)) => self.same(old, new),
                (None, None) => true,
                _ => false,
            };
            if !same_positions || !same_rest {
                unknown(out, &item, "the old schema gives items by position and they changed");
            }
            return;
        }
        let Some(old_items) = old_rest else { return };
        if let Some(Value::Array(positions)) = new_positions {
            for (index, position) in positions.iter().enumerate() {
                self.subset(position, old_items, &format!("{at}/{index}"), depth + 1, out);
            }
        }
        self.subset(new_rest.unwrap_or(&TRUE), old_items, &item, depth + 1, out);
    }

    fn objects(
        &self,
        new: &Map<String, Value>,
        old: &Map<String, Value>,
        at: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        lower_count(new, old, "minProperties", at, out);
        upper_count(new, old, "maxProperties", at, out);
        let required = |schema: &Map<String, Value>| -> BTreeSet<String> {
            match schema.get("required") {
                Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => BTreeSet::new(),
            }
        };
        let new_required = required(new);
        for name in required(old).difference(&new_required) {
            finding(out, &format!("{at}/{}", escape(name)), "no longer required");
        }
        match (pattern_properties(old), pattern_properties(new)) {
            (None, None) => {}
            (Some(old_patterns), Some(new_patterns))
                if self.same(old_patterns, new_patterns)
                    && old.get("properties") == new.get("properties")
                    && old.get("additionalProperties") == new.get("additionalProperties") => {}
            _ => {
                unknown(out, at, "`patternProperties` with other changes to the object's properties");
                return;
            }
        }
        let empty = Map::new();
        let new_properties = properties_of(new).unwrap_or(&empty);
        let old_properties = properties_of(old).unwrap_or(&empty);
        let new_rest = new.get("additionalProperties").unwrap_or(&TRUE);
        let old_rest = old.get("additionalProperties").unwrap_or(&TRUE);
        let names: BTreeSet<&String> = new_properties.keys().chain(old_properties.keys()).collect();
        for name in names {
            let here = format!("{at}/{}", escape(name));
            let new_property = new_properties.get(name).unwrap_or(new_rest);
            match old_properties.get(name) {
                Some(old_property) => self.subset(new_property, old_property, &here, depth + 1, out),
                None if old_rest == &Value::Bool(false) && new_property != &Value::Bool(false) => {
                    finding(out, at, format!("accepts property `{name}`, which `additionalProperties: false` refused"))
                }
                None => self.subset(new_property, old_rest, &here, depth + 1, out),
            }
        }
        if old_rest == &Value::Bool(false) && new_rest != &Value::Bool(false) {
            finding(out, at, "accepts other properties (`additionalProperties: false` dropped)");
        } else {
            self.subset(new_rest, old_rest, &format!("{at}/*"), depth + 1, out);
        }
    }
}

/// The schemas of an array's items: those by position (draft 4's `items` array, or
/// `prefixItems`), and the one for every other item (`additionalItems` after an `items`
/// array, `items` after `prefixItems`, else `items`).
fn item_schemas(schema: &Map<String, Value>) -> (Option<&Value>, Option<&Value>) {
    match (schema.get("prefixItems"), schema.get("items")) {
        (Some(positions), rest) => (Some(positions), rest),
        (None, Some(positions @ Value::Array(_))) => (Some(positions), schema.get("additionalItems")),
        (None, rest) => (None, rest),
    }
}

fn pattern_properties(schema: &Map<String, Value>) -> Option<&Value> {
    schema.get("patternProperties").filter(|patterns| patterns.as_object().is_some_and(|map| !map.is_empty()))
}

fn properties_of(schema: &Map<String, Value>) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

/// A schema that accepts every value: `true`, or an object with only annotations.
fn accepts_anything(schema: &Value) -> bool {
    match schema {
        Value::Bool(accepts) => *accepts,
        Value::Object(map) => map.keys().all(|keyword| ANNOTATIONS.contains(&keyword.as_str())),
        _ => false,
    }
}

fn has_ref(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map.contains_key("$ref") || map.values().any(has_ref),
        Value::Array(items) => items.iter().any(has_ref),
        _ => false,
    }
}

/// The target of a local `$ref` (`#`, `#/definitions/x`, any JSON Pointer in the document).
fn resolve<'a>(root: &'a Value, reference: &Value) -> Option<&'a Value> {
    let pointer = reference.as_str()?.strip_prefix('#')?;
    if pointer.is_empty() { Some(root) } else { root.pointer(pointer) }
}

/// `old` as a schema of its own, for the validator: the root itself, or `old` with the
/// root's definitions beside it when every `$ref` in it points into them.
fn standalone(root: &Value, old: &Value) -> Option<Value> {
    if std::ptr::eq(root, old) {
        return Some(root.clone());
    }
    if refs_outside_definitions(old) {
        return None;
    }
    let mut wrapper = Map::new();
    for keyword in ["$schema", "definitions", "$defs"] {
        if let Some(value) = root.get(keyword) {
            wrapper.insert(keyword.to_string(), value.clone());
        }
    }
    wrapper.insert("allOf".to_string(), Value::Array(vec![old.clone()]));
    Some(Value::Object(wrapper))
}

fn refs_outside_definitions(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => {
            let outside = map.get("$ref").is_some_and(|reference| {
                reference.as_str().is_none_or(|reference| {
                    !reference.starts_with("#/definitions/") && !reference.starts_with("#/$defs/")
                })
            });
            outside || map.values().any(refs_outside_definitions)
        }
        Value::Array(items) => items.iter().any(refs_outside_definitions),
        _ => false,
    }
}

/// The values of `enum` or `const`, when the schema lists them.
fn enumerated(schema: &Map<String, Value>) -> Option<Vec<&Value>> {
    match (schema.get("enum"), schema.get("const")) {
        (_, Some(value)) => Some(vec![value]),
        (Some(Value::Array(values)), None) => Some(values.iter().collect()),
        _ => None,
    }
}

fn all_types() -> BTreeSet<&'static str> {
    ["array", "boolean", "integer", "null", "number", "object", "string"].into_iter().collect()
}

fn types_of(schema: &Map<String, Value>) -> Option<BTreeSet<&'static str>> {
    let known = all_types();
    let pick = |name: &Value| name.as_str().and_then(|name| known.iter().find(|known| **known == name).copied());
    match schema.get("type")? {
        Value::Array(names) => Some(names.iter().filter_map(pick).collect()),
        name => Some(pick(name).into_iter().collect()),
    }
}

fn type_list(types: &BTreeSet<&str>) -> String {
    types.iter().map(|kind| format!("`{kind}`")).collect::<Vec<_>>().join(", ")
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// A bound: the value and whether it is exclusive.
type Bound = (f64, bool);

/// The tightest lower (or upper) bound of a schema, from draft 4's `minimum` with a boolean
/// `exclusiveMinimum` or later drafts' numeric `exclusiveMinimum`.
fn bound(schema: &Map<String, Value>, inclusive: &str, exclusive: &str, lower: bool) -> Option<Bound> {
    let plain = schema.get(inclusive).and_then(Value::as_f64);
    let (plain, numeric) = match schema.get(exclusive) {
        Some(Value::Bool(true)) => (plain.map(|value| (value, true)), None),
        Some(value) => (plain.map(|value| (value, false)), value.as_f64().map(|value| (value, true))),
        None => (plain.map(|value| (value, false)), None),
    };
    let tighter = |a: Bound, b: Bound| {
        let a_tighter = if lower { a.0 > b.0 } else { a.0 < b.0 } || (a.0 == b.0 && a.1);
        if a_tighter { a } else { b }
    };
    match (plain, numeric) {
        (Some(a), Some(b)) => Some(tighter(a, b)),
        (a, b) => a.or(b),
    }
}

fn show(bound: Bound) -> String {
    let (value, exclusive) = bound;
    if exclusive { format!("{value} (exclusive)") } else { value.to_string() }
}

fn numbers(new: &Map<String, Value>, old: &Map<String, Value>, at: &str, out: &mut Vec<Finding>) {
    for (inclusive, exclusive, lower) in [("minimum", "exclusiveMinimum", true), ("maximum", "exclusiveMaximum", false)]
    {
        let Some(old_bound) = bound(old, inclusive, exclusive, lower) else { continue };
        match bound(new, inclusive, exclusive, lower) {
            None => finding(out, at, format!("`{inclusive}` {} dropped", show(old_bound))),
            Some(new_bound) => {
                let within = if lower { new_bound.0 > old_bound.0 } else { new_bound.0 < old_bound.0 }
                    || (new_bound.0 == old_bound.0 && (new_bound.1 || !old_bound.1));
                if !within {
                    let moved = if lower { "lowered" } else { "raised" };
                    finding(out, at, format!("`{inclusive}` {moved} from {} to {}", show(old_bound), show(new_bound)));
                }
            }
        }
    }
    if let Some(old_step) = old.get("multipleOf").and_then(Value::as_f64) {
        let fits = new.get("multipleOf").and_then(Value::as_f64).is_some_and(|new_step| {
            let ratio = new_step / old_step;
            ratio >= 1.0 && (ratio - ratio.round()).abs() < 1e-9
        });
        if !fits {
            finding(out, at, format!("accepts numbers that are not multiples of {old_step}"));
        }
    }
}

fn strings(new: &Map<String, Value>, old: &Map<String, Value>, at: &str, out: &mut Vec<Finding>) {
    lower_count(new, old, "minLength", at, out);
    upper_count(new, old, "maxLength", at, out);
    for keyword in ["pattern", "format"] {
        let Some(old_value) = old.get(keyword) else { continue };
        match new.get(keyword) {
            Some(new_value) if new_value == old_value => {}
            Some(new_value) => finding(out, at, format!("`{keyword}` changed from {old_value} to {new_value}")),
            None => finding(out, at, format!("`{keyword}` {old_value} dropped")),
        }
    }
}

fn lower_count(new: &Map<String, Value>, old: &Map<String, Value>, keyword: &str, at: &str, out: &mut Vec<Finding>) {
    let Some(old_value) = old.get(keyword).and_then(Value::as_f64) else { return };
    match new.get(keyword).and_then(Value::as_f64) {
        Some(new_value) if new_value >= old_value => {}
        Some(new_value) => finding(out, at, format!("`{keyword}` lowered from {old_value} to {new_value}")),
        None => finding(out, at, format!("`{keyword}` {old_value} dropped")),
    }
}

fn upper_count(new: &Map<String, Value>, old: &Map<String, Value>, keyword: &str, at: &str, out: &mut Vec<Finding>) {
    let Some(old_value) = old.get(keyword).and_then(Value::as_f64) else { return };
    match new.get(keyword).and_then(Value::as_f64) {
        Some(new_value) if new_value <= old_value => {}
        Some(new_value) => finding(out, at, format!("`{keyword}` raised from {old_value} to {new_value}")),
        None => finding(out, at, format!("`{keyword}` {old_value} dropped")),
    }
}

#[cfg(test)]
mod tests;
