//! The classification rule by rule: each in the breaking and the compatible direction.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Change, classify, schema_changes};
use crate::contract::published::{AttributeContract, AttributeType, FORMAT_VERSION, TopicContract};

fn contract(fifo: bool) -> TopicContract {
    TopicContract {
        version: FORMAT_VERSION,
        fifo,
        content_based_deduplication: false,
        attributes: BTreeMap::new(),
        schema_digest: None,
    }
}

fn with_attribute(
    mut contract: TopicContract,
    name: &str,
    data_type: AttributeType,
    values: Option<&[&str]>,
) -> TopicContract {
    let values = values.map(|values| values.iter().map(|value| value.to_string()).collect());
    contract.attributes.insert(name.to_string(), AttributeContract { data_type, values });
    contract
}

/// `breaking what` lines, in order, for short snapshots.
fn lines(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|change| format!("{} {}", if change.breaking { "breaking" } else { "compatible" }, change.what))
        .collect()
}

fn schema(old: Value, new: Value) -> Vec<String> {
    lines(&schema_changes(&old, &new))
}

fn breaking(old: Value, new: Value) -> bool {
    schema_changes(&old, &new).iter().any(|change| change.breaking)
}

#[test]
fn same_contract_has_no_changes() {
    let topic = with_attribute(contract(true), "segment", AttributeType::String, Some(&["a"]));
    let document = json!({ "type": "object" });
    assert!(classify(&topic, Some(&document), &topic, Some(&document)).is_empty());
}

#[test]
fn kind_change_is_breaking_both_ways() {
    for (old, new) in [(false, true), (true, false)] {
        let changes = classify(&contract(old), None, &contract(new), None);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].breaking);
        assert_eq!(changes[0].attribute, None);
    }
    assert_eq!(
        lines(&classify(&contract(false), None, &contract(true), None)),
        ["breaking kind changed from standard to FIFO"]
    );
}

#[test]
fn content_based_deduplication_is_compatible_both_ways() {
    let off = contract(true);
    let on = TopicContract { content_based_deduplication: true, ..contract(true) };
    assert_eq!(lines(&classify(&off, None, &on, None)), ["compatible content-based deduplication turned on"]);
    assert_eq!(lines(&classify(&on, None, &off, None)), ["compatible content-based deduplication turned off"]);
}

#[test]
fn removed_attribute_is_breaking_and_names_it() {
    let old = with_attribute(contract(false), "segment", AttributeType::String, None);
    let changes = classify(&old, None, &contract(false), None);
    assert_eq!(lines(&changes), ["breaking attribute `segment` removed"]);
    assert_eq!(changes[0].attribute.as_deref(), Some("segment"));
}

#[test]
fn added_attribute_is_compatible() {
    let new = with_attribute(contract(false), "segment", AttributeType::String, None);
    let changes = classify(&contract(false), None, &new, None);
    assert_eq!(lines(&changes), ["compatible attribute `segment` added"]);
    assert_eq!(changes[0].attribute.as_deref(), Some("segment"));
}

#[test]
fn attribute_type_change_is_breaking_and_unchanged_type_is_not() {
    let old = with_attribute(contract(false), "score", AttributeType::Number, None);
    let new = with_attribute(contract(false), "score", AttributeType::String, None);
    let changes = classify(&old, None, &new, None);
    assert_eq!(lines(&changes), ["breaking attribute `score` type changed from `Number` to `String`"]);
    assert_eq!(changes[0].attribute.as_deref(), Some("score"));
    assert!(classify(&old, None, &old, None).is_empty());
}

#[test]
fn removed_value_is_breaking_for_filters_on_the_attribute() {
    let old = with_attribute(contract(false), "segment", AttributeType::String, Some(&["enterprise", "premium"]));
    let new = with_attribute(contract(false), "segment", AttributeType::String, Some(&["premium"]));
    let changes = classify(&old, None, &new, None);
    assert_eq!(lines(&changes), ["breaking attribute `segment` no longer takes `enterprise`"]);
    assert_eq!(changes[0].attribute.as_deref(), Some("segment"));
}

#[test]
fn added_value_is_breaking_for_every_consumer_and_keeping_them_is_not() {
    let old = with_attribute(contract(false), "segment", AttributeType::String, Some(&["premium"]));
    let new = with_attribute(contract(false), "segment", AttributeType::String, Some(&["premium", "standard"]));
    let changes = classify(&old, None, &new, None);
    assert_eq!(lines(&changes), ["breaking attribute `segment` takes `standard`"]);
    // Consumers that do not filter on it are the ones that can get the new value.
    assert_eq!(changes[0].attribute, None);
    assert!(classify(&new, None, &new, None).is_empty());
}

#[test]
fn values_dropped_is_breaking_and_values_declared_is_compatible() {
    let any = with_attribute(contract(false), "segment", AttributeType::String, None);
    let listed = with_attribute(contract(false), "segment", AttributeType::String, Some(&["premium"]));
    let dropped = classify(&listed, None, &any, None);
    assert_eq!(lines(&dropped), ["breaking attribute `segment` takes any value"]);
    assert_eq!(dropped[0].attribute, None);
    let declared = classify(&any, None, &listed, None);
    assert_eq!(lines(&declared), ["compatible attribute `segment` restricted to `premium`"]);
    assert_eq!(declared[0].attribute.as_deref(), Some("segment"));
}

#[test]
fn changes_are_sorted_breaking_first_then_by_what() {
    let old = with_attribute(
        with_attribute(contract(false), "b", AttributeType::String, None),
        "z",
        AttributeType::Number,
        None,
    );
    let new = with_attribute(contract(true), "a", AttributeType::String, None);
    assert_eq!(
        lines(&classify(&old, None, &new, None)),
        [
            "breaking attribute `b` removed",
            "breaking attribute `z` removed",
            "breaking kind changed from standard to FIFO",
            "compatible attribute `a` added",
        ]
    );
}

#[test]
fn schema_added_is_compatible_and_removed_is_breaking() {
    let without = contract(false);
    let with = TopicContract { schema_digest: Some("sha256:aa".to_string()), ..contract(false) };
    let document = json!({ "type": "object" });
    assert_eq!(lines(&classify(&without, None, &with, Some(&document))), ["compatible schema added"]);
    assert_eq!(lines(&classify(&with, Some(&document), &without, None)), ["breaking schema removed"]);
}

#[test]
fn schema_change_without_documents_is_breaking_and_same_digest_is_no_change() {
    let old = TopicContract { schema_digest: Some("sha256:aa".to_string()), ..contract(false) };
    let new = TopicContract { schema_digest: Some("sha256:bb".to_string()), ..contract(false) };
    let changes = classify(&old, None, &new, None);
    assert_eq!(lines(&changes), ["breaking schema changed"]);
    assert!(changes[0].reason.starts_with("cannot show the new schema accepts no more than the old"));
    assert!(classify(&old, None, &old, None).is_empty());
}

fn object(required: &[&str]) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": { "id": { "type": "string" }, "n": { "type": "integer" } },
    })
}

#[test]
fn required_property_added_is_compatible_and_removed_is_breaking() {
    assert_eq!(schema(object(&["id"]), object(&["id", "n"])), ["compatible schema narrowed"]);
    assert_eq!(schema(object(&["id", "n"]), object(&["id"])), ["breaking schema at `/n`: no longer required"]);
}

fn tier(values: Value) -> Value {
    json!({ "type": "object", "properties": { "tier": { "type": "string", "enum": values } } })
}

#[test]
fn enum_value_added_is_breaking_and_removed_is_compatible() {
    assert_eq!(
        schema(tier(json!(["gold", "silver"])), tier(json!(["gold", "silver", "bronze"]))),
        ["breaking schema at `/tier`: accepts value `\"bronze\"`"]
    );
    assert!(!breaking(tier(json!(["gold", "silver"])), tier(json!(["gold"]))));
}

#[test]
fn enum_dropped_is_breaking_and_enum_added_is_compatible() {
    let free = json!({ "type": "object", "properties": { "tier": { "type": "string" } } });
    assert_eq!(
        schema(tier(json!(["gold"])), free.clone()),
        ["breaking schema at `/tier`: accepts values outside the old `enum`/`const`"]
    );
    assert!(!breaking(free, tier(json!(["gold"]))));
}

#[test]
fn const_changed_is_breaking() {
    let kind = |value: &str| json!({ "properties": { "kind": { "const": value } } });
    assert_eq!(schema(kind("order"), kind("refund")), ["breaking schema at `/kind`: accepts value `\"refund\"`"]);
    assert!(!breaking(kind("order"), json!({ "properties": { "kind": { "enum": ["order"] } } })));
}

fn typed(kind: Value) -> Value {
    json!({ "type": "object", "properties": { "n": { "type": kind } } })
}

#[test]
fn type_widened_is_breaking_and_narrowed_is_compatible() {
    assert_eq!(
        schema(typed(json!("integer")), typed(json!("number"))),
        ["breaking schema at `/n`: accepts type `number`, not only `integer`"]
    );
    assert!(!breaking(typed(json!("number")), typed(json!("integer"))));
    assert!(breaking(typed(json!("string")), typed(json!(["string", "null"]))));
    assert!(!breaking(typed(json!(["string", "null"])), typed(json!("string"))));
    assert!(breaking(typed(json!("string")), json!({ "type": "object", "properties": { "n": {} } })));
}

fn closed(closed: bool, properties: Value) -> Value {
    let mut schema = json!({ "type": "object", "properties": properties });
    if closed {
        schema["additionalProperties"] = json!(false);
    }
    schema
}

#[test]
fn additional_properties_false_removed_is_breaking_and_added_is_compatible() {
    let properties = json!({ "id": { "type": "string" } });
    assert_eq!(
        schema(closed(true, properties.clone()), closed(false, properties.clone())),
        ["breaking schema at `/`: accepts other properties (`additionalProperties: false` dropped)"]
    );
    assert!(!breaking(closed(false, properties.clone()), closed(true, properties)));
}

#[test]
fn new_optional_property_is_breaking_under_additional_properties_false_only() {
    let before = json!({ "id": { "type": "string" } });
    let after = json!({ "id": { "type": "string" }, "note": { "type": "string" } });
    assert_eq!(
        schema(closed(true, before.clone()), closed(true, after.clone())),
        ["breaking schema at `/`: accepts property `note`, which `additionalProperties: false` refused"]
    );
    assert!(!breaking(closed(false, before), closed(false, after)));
}

#[test]
fn additional_properties_schema_is_compared() {
    let rest = |kind: &str| json!({ "type": "object", "additionalProperties": { "type": kind } });
    assert_eq!(
        schema(rest("integer"), rest("number")),
        ["breaking schema at `/*`: accepts type `number`, not only `integer`"]
    );
    assert!(!breaking(rest("number"), rest("integer")));
}

fn bounded(bounds: Value) -> Value {
    let mut property = json!({ "type": "number" });
    for (key, value) in bounds.as_object().into_iter().flatten() {
        property[key] = value.clone();
    }
    json!({ "type": "object", "properties": { "amount": property } })
}

#[test]
fn maximum_raised_is_breaking_and_lowered_is_compatible() {
    assert_eq!(
        schema(bounded(json!({ "maximum": 10 })), bounded(json!({ "maximum": 20 }))),
        ["breaking schema at `/amount`: `maximum` raised from 10 to 20"]
    );
    assert!(!breaking(bounded(json!({ "maximum": 20 })), bounded(json!({ "maximum": 10 }))));
    assert!(breaking(bounded(json!({ "maximum": 10 })), bounded(json!({}))));
}

#[test]
fn minimum_lowered_is_breaking_and_raised_is_compatible() {
    assert!(breaking(bounded(json!({ "minimum": 1 })), bounded(json!({ "minimum": 0 }))));
    assert!(!breaking(bounded(json!({ "minimum": 0 })), bounded(json!({ "minimum": 1 }))));
}

#[test]
fn exclusive_bounds_of_draft_4_and_later_drafts_are_compared() {
    // Draft 4: a boolean beside `minimum`.
    let draft4 = |exclusive: bool| bounded(json!({ "minimum": 0, "exclusiveMinimum": exclusive }));
    assert!(breaking(draft4(true), draft4(false)));
    assert!(!breaking(draft4(false), draft4(true)));
    // Later drafts: the exclusive bound is a number of its own.
    assert!(breaking(bounded(json!({ "exclusiveMaximum": 5 })), bounded(json!({ "maximum": 5 }))));
    assert!(!breaking(bounded(json!({ "maximum": 5 })), bounded(json!({ "exclusiveMaximum": 5 }))));
}

#[test]
fn multiple_of_is_compared() {
    assert!(breaking(bounded(json!({ "multipleOf": 10 })), bounded(json!({ "multipleOf": 5 }))));
    assert!(!breaking(bounded(json!({ "multipleOf": 5 })), bounded(json!({ "multipleOf": 10 }))));
}

fn text(rules: Value) -> Value {
    let mut property = json!({ "type": "string" });
    for (key, value) in rules.as_object().into_iter().flatten() {
        property[key] = value.clone();
    }
    json!({ "type": "object", "properties": { "s": property } })
}

#[test]
fn string_lengths_are_compared() {
    assert!(breaking(text(json!({ "maxLength": 5 })), text(json!({ "maxLength": 10 }))));
    assert!(!breaking(text(json!({ "maxLength": 10 })), text(json!({ "maxLength": 5 }))));
    assert!(breaking(text(json!({ "minLength": 2 })), text(json!({ "minLength": 1 }))));
    assert!(!breaking(text(json!({ "minLength": 1 })), text(json!({ "minLength": 2 }))));
}

#[test]
fn pattern_changed_is_breaking_unless_equal_and_added_is_compatible() {
    assert_eq!(
        schema(text(json!({ "pattern": "^a" })), text(json!({ "pattern": "^b" }))),
        ["breaking schema at `/s`: `pattern` changed from \"^a\" to \"^b\""]
    );
    assert!(breaking(text(json!({ "pattern": "^a" })), text(json!({}))));
    assert!(!breaking(text(json!({})), text(json!({ "pattern": "^a" }))));
    assert!(!breaking(
        text(json!({ "pattern": "^a", "maxLength": 9 })),
        text(json!({ "pattern": "^a", "maxLength": 5 }))
    ));
}

#[test]
fn format_dropped_or_changed_is_breaking_and_added_is_compatible() {
    assert!(breaking(text(json!({ "format": "date-time" })), text(json!({}))));
    assert!(breaking(text(json!({ "format": "date-time" })), text(json!({ "format": "email" }))));
    assert!(!breaking(text(json!({})), text(json!({ "format": "date-time" }))));
}

#[test]
fn nested_object_changes_are_found_at_their_place() {
    let customer = |tier: Value| {
        json!({
            "type": "object",
            "properties": { "customer": { "type": "object", "properties": { "tier": tier }, "required": ["tier"] } },
        })
    };
    assert_eq!(
        schema(customer(json!({ "type": "integer" })), customer(json!({ "type": "number" }))),
        ["breaking schema at `/customer/tier`: accepts type `number`, not only `integer`"]
    );
    assert!(!breaking(customer(json!({ "type": "number" })), customer(json!({ "type": "integer" }))));
}

#[test]
fn array_items_are_compared() {
    let list = |items: Value| json!({ "type": "object", "properties": { "xs": { "type": "array", "items": items } } });
    assert_eq!(
        schema(list(json!({ "type": "integer" })), list(json!({ "type": "number" }))),
        ["breaking schema at `/xs/*`: accepts type `number`, not only `integer`"]
    );
    assert!(!breaking(list(json!({ "type": "number" })), list(json!({ "type": "integer" }))));
    assert!(breaking(
        list(json!({ "type": "integer" })),
        json!({ "type": "object", "properties": { "xs": { "type": "array" } } })
    ));
}

#[test]
fn array_counts_and_uniqueness_are_compared() {
    let list = |rules: Value| {
        let mut property = json!({ "type": "array" });
        for (key, value) in rules.as_object().into_iter().flatten() {
            property[key] = value.clone();
        }
        json!({ "properties": { "xs": property } })
    };
    assert!(breaking(list(json!({ "minItems": 2 })), list(json!({ "minItems": 1 }))));
    assert!(!breaking(list(json!({ "minItems": 1 })), list(json!({ "minItems": 2 }))));
    assert!(breaking(list(json!({ "maxItems": 2 })), list(json!({}))));
    assert!(breaking(list(json!({ "uniqueItems": true })), list(json!({}))));
    assert!(!breaking(list(json!({})), list(json!({ "uniqueItems": true }))));
}

#[test]
fn local_refs_are_followed_on_both_sides() {
    let referenced = |kind: &str| {
        json!({
            "definitions": { "amount": { "type": kind } },
            "type": "object",
            "properties": { "total": { "$ref": "#/definitions/amount" } },
        })
    };
    assert_eq!(
        schema(referenced("integer"), referenced("number")),
        ["breaking schema at `/total`: accepts type `number`, not only `integer`"]
    );
    assert!(!breaking(referenced("number"), referenced("integer")));
    // Inlined on one side, referenced on the other.
    let inline = json!({ "type": "object", "properties": { "total": { "type": "integer" } } });
    assert!(!breaking(referenced("number"), inline.clone()));
    assert!(breaking(inline, referenced("number")));
}

#[test]
fn a_ref_that_leads_nowhere_cannot_be_shown_compatible() {
    let old = json!({ "properties": { "a": { "$ref": "#/definitions/missing" } } });
    let new = json!({ "properties": { "a": { "type": "string" } } });
    let changes = schema_changes(&old, &new);
    assert!(changes[0].breaking);
    assert!(changes[0].reason.starts_with("cannot show the new schema accepts no more than the old"));
}

#[test]
fn recursive_schemas_compare_without_end() {
    let tree = |kind: &str| {
        json!({
            "definitions": { "node": { "type": "object", "properties": {
                "value": { "type": kind },
                "children": { "type": "array", "items": { "$ref": "#/definitions/node" } },
            } } },
            "$ref": "#/definitions/node",
        })
    };
    assert!(!breaking(tree("number"), tree("integer")));
    // Found once, where it first shows.
    assert_eq!(
        schema(tree("integer"), tree("number")),
        ["breaking schema at `/value`: accepts type `number`, not only `integer`"]
    );
}

#[test]
fn all_of_and_any_of_in_the_old_schema_are_compared() {
    let all = |kind: &str| json!({ "allOf": [{ "type": "object" }, { "properties": { "n": { "type": kind } } }] });
    assert!(breaking(all("integer"), all("number")));
    assert!(!breaking(all("number"), all("integer")));
    let any = |branches: Value| json!({ "properties": { "v": { "anyOf": branches } } });
    assert!(breaking(any(json!([{ "type": "string" }])), any(json!([{ "type": "string" }, { "type": "integer" }]))));
    assert!(!breaking(any(json!([{ "type": "string" }, { "type": "integer" }])), any(json!([{ "type": "string" }]))));
    assert!(!breaking(
        any(json!([{ "type": "string" }, { "type": "integer" }])),
        json!({ "properties": { "v": { "type": "integer" } } })
    ));
}

#[test]
fn unknown_keywords_must_be_unchanged() {
    let one_of = |branches: Value| json!({ "properties": { "v": { "oneOf": branches } } });
    let changes = schema_changes(
        &one_of(json!([{ "type": "string" }])),
        &one_of(json!([{ "type": "string" }, { "type": "integer" }])),
    );
    assert_eq!(lines(&changes), ["breaking schema at `/v`: `oneOf` changed"]);
    assert!(changes[0].reason.starts_with("cannot show the new schema accepts no more than the old"));
    let not = |schema: Value| json!({ "properties": { "v": schema } });
    assert!(breaking(not(json!({ "not": { "type": "string" } })), not(json!({}))));
    // Unchanged, with a narrowing beside it: compatible.
    assert!(!breaking(
        json!({ "not": { "required": ["x"] }, "properties": { "n": { "type": "number" } } }),
        json!({ "not": { "required": ["x"] }, "properties": { "n": { "type": "integer" } } }),
    ));
    // Keywords new to the new schema only add conditions.
    assert!(!breaking(json!({ "type": "object" }), json!({ "type": "object", "not": { "required": ["x"] } })));
}

#[test]
fn annotations_do_not_count() {
    assert_eq!(
        schema(
            json!({ "type": "object", "description": "old words", "title": "a" }),
            json!({ "type": "object", "description": "new words", "examples": [{}] }),
        ),
        ["compatible schema narrowed"]
    );
}

#[test]
fn a_schema_that_accepts_nothing_more_is_not_breaking_and_false_is_handled() {
    assert!(!breaking(json!(true), json!({ "type": "object" })));
    assert!(!breaking(json!({ "type": "object" }), json!(false)));
    assert!(breaking(json!(false), json!({ "type": "object" })));
}

#[test]
fn tuple_items_are_compared() {
    let pair = |second: &str| json!({ "type": "array", "items": [{ "type": "string" }, { "type": second }], "additionalItems": false });
    // A new tuple under an old single `items`: each position and the rest must fit it.
    let numbers = json!({ "type": "array", "items": { "type": "number" } });
    let tuple = json!({ "type": "array", "items": [{ "type": "integer" }], "additionalItems": { "type": "number" } });
    assert!(!breaking(numbers.clone(), tuple));
    assert!(breaking(numbers, json!({ "type": "array", "items": [{ "type": "string" }] })));
    // An old tuple must stay as it is.
    assert!(breaking(pair("integer"), pair("number")));
    // Later drafts: `prefixItems` takes the first positions out of `items`.
    let integers = json!({ "type": "array", "items": { "type": "integer" } });
    let prefixed = json!({ "type": "array", "prefixItems": [{ "type": "string" }], "items": { "type": "integer" } });
    assert!(breaking(integers.clone(), prefixed.clone()));
    assert!(breaking(prefixed, integers));
}

#[test]
fn branches_of_a_new_any_of_or_one_of_must_each_fit() {
    let old = json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] });
    assert!(!breaking(old.clone(), json!({ "oneOf": [{ "type": "string" }, { "type": "integer", "minimum": 0 }] })));
    assert!(breaking(old, json!({ "anyOf": [{ "type": "string" }, { "type": "boolean" }] })));
}

#[test]
fn pattern_properties_must_stay_as_they_are() {
    let patterned = |kind: &str| json!({ "type": "object", "patternProperties": { "^x-": { "type": kind } }, "additionalProperties": false });
    assert!(!breaking(patterned("string"), patterned("string")));
    assert!(breaking(patterned("string"), patterned("number")));
    // New patterns under `additionalProperties: false` let through names that were refused.
    assert!(breaking(
        json!({ "type": "object", "additionalProperties": false }),
        json!({ "type": "object", "patternProperties": { "^x-": {} }, "additionalProperties": false }),
    ));
}

const DRAFT_4: &str = "http://json-schema.org/draft-04/schema#";

/// Schemas over the keywords the comparison knows and some it does not, for the soundness
/// check below.
fn sample_schemas() -> Vec<Value> {
    let mut schemas = vec![
        json!(true),
        json!({}),
        json!({ "type": "object" }),
        json!({ "type": "object", "required": ["id"] }),
        json!({ "type": "object", "required": ["id", "n"] }),
        json!({ "type": "object", "properties": { "id": { "type": "string" } } }),
        json!({ "type": "object", "properties": { "id": { "type": "string" } }, "additionalProperties": false }),
        json!({ "type": "object", "properties": { "id": { "type": "string" }, "n": { "type": "integer" } }, "additionalProperties": false }),
        json!({ "type": "object", "additionalProperties": { "type": "integer" } }),
        json!({ "type": "object", "properties": { "n": { "type": "integer" } } }),
        json!({ "type": "object", "properties": { "n": { "type": "number" } } }),
        json!({ "type": "object", "properties": { "n": { "type": "number", "maximum": 10 } } }),
        json!({ "$schema": DRAFT_4, "type": "object", "properties": { "n": { "type": "number", "minimum": 0, "exclusiveMinimum": true } } }),
        json!({ "type": "object", "properties": { "n": { "type": "number", "exclusiveMaximum": 5 } } }),
        json!({ "type": "object", "properties": { "n": { "multipleOf": 2 } } }),
        json!({ "type": "object", "properties": { "n": { "enum": [1, 2, "x"] } } }),
        json!({ "type": "object", "properties": { "n": { "const": 1 } } }),
        json!({ "type": "object", "properties": { "n": { "anyOf": [{ "type": "string" }, { "type": "integer" }] } } }),
        json!({ "type": "object", "properties": { "n": { "oneOf": [{ "type": "string" }, { "type": "integer" }] } } }),
        json!({ "type": "object", "properties": { "n": { "not": { "type": "string" } } } }),
        json!({ "type": "object", "properties": { "id": { "type": "string", "maxLength": 2 } } }),
        json!({ "type": "object", "properties": { "id": { "type": "string", "pattern": "^a" } } }),
        json!({ "type": "object", "properties": { "id": { "enum": ["a", "b"] } }, "required": ["id"] }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "items": { "type": "integer" } } } }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "items": { "type": "number" }, "maxItems": 1 } } }),
        json!({ "$schema": DRAFT_4, "type": "object", "properties": { "xs": { "type": "array", "items": [{ "type": "integer" }], "additionalItems": false } } }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "prefixItems": [{ "type": "string" }], "items": { "type": "integer" } } } }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "uniqueItems": true } } }),
        json!({ "type": "object", "patternProperties": { "^x": { "type": "integer" } }, "additionalProperties": false }),
        json!({ "definitions": { "n": { "type": "integer", "minimum": 0 } }, "type": "object", "properties": { "n": { "$ref": "#/definitions/n" } } }),
        json!({ "allOf": [{ "type": "object" }, { "required": ["n"] }] }),
        json!({ "type": ["object", "null"] }),
        json!({ "type": "object", "minProperties": 2 }),
        json!({ "type": "object", "properties": { "n": { "type": "integer" } }, "additionalProperties": { "type": "string" } }),
        json!({ "type": "object", "properties": { "n": { "anyOf": [{ "type": "integer" }] , "minimum": 1 } } }),
        json!({ "type": "object", "properties": { "n": { "allOf": [{ "type": "integer" }, { "maximum": 2 }] } } }),
        json!({ "type": "object", "if": { "required": ["n"] }, "then": { "required": ["id"] } }),
        json!({ "type": "object", "dependencies": { "n": ["id"] } }),
        json!({ "type": "object", "propertyNames": { "maxLength": 2 } }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "items": false } } }),
        json!({ "type": "object", "properties": { "xs": { "type": "array", "contains": { "type": "integer" } } } }),
        json!({ "definitions": { "s": { "type": "string" } }, "type": "object", "properties": { "id": { "$ref": "#/definitions/s", "maxLength": 1 } } }),
        json!({ "type": "object", "properties": { "n": { "type": "integer", "enum": [1, "x"] } } }),
        json!({ "type": "object", "properties": { "id": { "type": "string", "minLength": 2 } }, "required": ["id"] }),
    ];
    schemas.push(json!(false));
    schemas
}

/// Events of every shape the sample schemas tell apart.
fn sample_events() -> Vec<Value> {
    let mut events = vec![json!(null), json!(1), json!("a"), json!([]), json!({})];
    let values = [
        json!(null),
        json!(-1),
        json!(0),
        json!(1),
        json!(2),
        json!(3),
        json!(5),
        json!(2.5),
        json!(11),
        json!("a"),
        json!("ab"),
        json!("abc"),
        json!("b"),
        json!("x"),
        json!(true),
        json!([]),
        json!([1]),
        json!([1, 1]),
        json!([1.5]),
        json!(["a"]),
        json!({}),
    ];
    for key in ["id", "n", "xs", "x1", "other"] {
        for value in &values {
            events.push(json!({ key: value }));
            events.push(json!({ key: value, "id": "a" }));
            events.push(json!({ key: value, "n": 1 }));
        }
    }
    events.push(json!({ "id": "a", "n": 1, "xs": [1] }));
    events
}

#[test]
fn compatible_never_lets_through_an_event_the_old_schema_rejected() {
    let schemas = sample_schemas();
    let events = sample_events();
    let validators: Vec<_> =
        schemas.iter().map(|schema| jsonschema::validator_for(schema).expect("valid schema")).collect();
    let mut compatible_pairs = 0;
    for (old_index, old) in schemas.iter().enumerate() {
        for (new_index, new) in schemas.iter().enumerate() {
            if breaking(old.clone(), new.clone()) {
                continue;
            }
            compatible_pairs += 1;
            for event in &events {
                assert!(
                    !validators[new_index].is_valid(event) || validators[old_index].is_valid(event),
                    "classified compatible, but the new schema accepts {event} and the old one does not\nold: {old}\nnew: {new}"
                );
            }
        }
    }
    // The check is not empty: narrowing pairs exist among the samples, beyond equal ones.
    assert!(compatible_pairs > 2 * schemas.len(), "{compatible_pairs}");
}
