use std::collections::BTreeMap;

use serde::Deserialize;

use super::*;
use crate::manifest::{DomainManifest, SettingsManifest};
use crate::yaml::parse;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Settings {
    name: String,
    #[serde(default)]
    on: bool,
    #[serde(default)]
    count: u16,
    #[serde(default)]
    ratio: f64,
    #[serde(default)]
    list: Vec<String>,
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    map: BTreeMap<String, Option<Item>>,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    even: Option<Even>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Item {
    id: String,
    #[serde(default)]
    on: bool,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum Mode {
    #[default]
    Fast,
    SlowAndSteady,
}

/// A number its own `Deserialize` checks, as a field with `try_from` would.
#[derive(Debug, PartialEq)]
struct Even(u32);

impl<'de> Deserialize<'de> for Even {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u32::deserialize(deserializer)?;
        if value % 2 == 0 { Ok(Even(value)) } else { Err(de::Error::custom(format!("{value} is odd"))) }
    }
}

fn read_text<T: DeserializeOwned>(text: &str) -> Reading<T> {
    let tree = parse(text);
    assert!(tree.diagnostics.is_empty(), "{:?}", tree.diagnostics);
    read(&tree.root.unwrap_or_else(|| panic!("a document")), |_| None)
}

/// Each diagnostic as `kind line:column path: message`.
fn found<T>(reading: &Reading<T>) -> Vec<String> {
    reading
        .diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(|l| format!("{}:{}", l.line, l.column)).unwrap_or_default();
            format!("{} {at} {}: {}", d.kind, d.path, d.message)
        })
        .collect()
}

fn unread<T>(reading: &Reading<T>) -> Vec<String> {
    let mut unread: Vec<String> = reading.unread.iter().map(ToString::to_string).collect();
    unread.sort();
    unread
}

#[test]
fn a_valid_document_reads_with_no_diagnostic() {
    let reading: Reading<Settings> = read_text(
        "name: a\non: true\ncount: 7\nratio: 2\nlist: [x, 'y']\nitems:\n  - id: i\nmap:\n  k:\n  l: { id: l }\nmode: slow-and-steady\neven: 4\n",
    );
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
    let settings = reading.value.unwrap_or_else(|| panic!("read"));
    assert_eq!(settings.count, 7);
    assert_eq!(settings.ratio, 2.0);
    assert_eq!(settings.list, ["x", "y"]);
    assert_eq!(settings.map.get("k"), Some(&None));
    assert_eq!(settings.map.get("l"), Some(&Some(Item { id: "l".into(), on: false })));
    assert_eq!(settings.mode, Mode::SlowAndSteady);
    assert_eq!(settings.even, Some(Even(4)));
}

#[test]
fn every_wrong_type_is_reported_and_reading_goes_on() {
    let reading: Reading<Settings> = read_text("name: 42\non: yes\ncount: x\nratio: [1]\nlist: a\nmap: [a]\n");
    assert_eq!(
        found(&reading),
        [
            "wrong-type 1:7 name: wrong type: expected a string, found the number `42`",
            "wrong-type 2:5 on: wrong type: expected `true` or `false`, found the string `yes`",
            "wrong-type 3:8 count: wrong type: expected a whole number, found the string `x`",
            "wrong-type 4:8 ratio: wrong type: expected a number, found a list",
            "wrong-type 5:7 list: wrong type: expected a list, found the string `a`",
            "wrong-type 6:6 map: wrong type: expected a mapping, found a list",
        ]
    );
    assert!(reading.value.is_some());
    assert_eq!(unread(&reading), ["count", "list", "map", "name", "on", "ratio"]);
}

#[test]
fn numbers_out_of_range_say_the_range() {
    let reading: Reading<Settings> = read_text("name: a\ncount: 70000\n");
    assert_eq!(
        found(&reading),
        ["invalid-value 2:8 count: invalid value: expected a whole number from 0 to 65535, found the number `70000`"]
    );
}

#[test]
fn unknown_fields_are_reported_with_a_close_name_and_skipped() {
    let reading: Reading<Settings> = read_text("name: a\nonn: true\nitems:\n  - id: x\n    zzz: 1\ncount: 3\n");
    assert_eq!(
        found(&reading),
        [
            "unknown-field 2:1 onn: unknown field `onn` in the top level",
            "unknown-field 5:5 items[0].zzz: unknown field `zzz` in `items[0]`"
        ]
    );
    assert_eq!(reading.diagnostics[0].hint.as_deref(), Some("did you mean `on`?"));
    assert_eq!(reading.diagnostics[1].hint.as_deref(), Some("valid fields: `id`, `on`"));
    assert_eq!(reading.value.map(|s| s.count), Some(3));
    assert!(reading.unread.is_empty());
}

#[test]
fn a_missing_field_is_reported_once_and_the_rest_is_read() {
    let reading: Reading<Settings> = read_text("on: true\nitems:\n  - on: true\n  - id: b\n    on: maybe\n");
    assert_eq!(
        found(&reading),
        [
            "missing-field 1:1 name: missing field `name`",
            "missing-field 3:5 items[0].id: missing field `id`",
            "wrong-type 5:9 items[1].on: wrong type: expected `true` or `false`, found the string `maybe`",
        ]
    );
    assert_eq!(unread(&reading), ["items[0].id", "items[1].on", "name"]);
    let settings = reading.value.unwrap_or_else(|| panic!("mended and read"));
    assert!(settings.on);
    assert_eq!(settings.items.len(), 2);
}

#[test]
fn a_value_its_type_refuses_is_left_out_and_the_rest_is_read() {
    let reading: Reading<Settings> = read_text("name: a\neven: 3\nmode: slow\ncount: x\n");
    assert_eq!(
        found(&reading),
        [
            "invalid-value 2:7 even: invalid value: 3 is odd",
            "invalid-value 3:7 mode: invalid value: expected one of `fast`, `slow-and-steady`, found the string `slow`",
            "wrong-type 4:8 count: wrong type: expected a whole number, found the string `x`",
        ]
    );
    assert!(unread(&reading).contains(&"even".to_string()));
    let settings = reading.value.unwrap_or_else(|| panic!("read without `even`"));
    assert_eq!(settings.even, None);
}

#[test]
fn left_out_items_keep_the_indexes_of_the_others() {
    #[derive(Debug, Deserialize)]
    struct List {
        evens: Vec<Even>,
        items: Vec<Item>,
    }
    let reading: Reading<List> = read_text("evens: [1, 2, 3, 4]\nitems:\n  - id: a\n  - {}\n  - id: c\n    on: 1\n");
    assert_eq!(
        found(&reading),
        [
            "invalid-value 1:9 evens[0]: invalid value: 1 is odd",
            "invalid-value 1:15 evens[2]: invalid value: 3 is odd",
            "missing-field 4:5 items[1].id: missing field `id`",
            "wrong-type 6:9 items[2].on: wrong type: expected `true` or `false`, found the number `1`",
        ]
    );
    let list = reading.value.unwrap_or_else(|| panic!("read"));
    assert_eq!(list.evens, [Even(2), Even(4)]);
    assert_eq!(list.items.len(), 3);
}

#[test]
fn an_empty_value_is_an_empty_list_or_mapping() {
    let reading: Reading<Settings> = read_text("name: a\nlist:\nmap:\nitems:\n");
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
}

#[test]
fn a_document_that_cannot_be_mended_gives_no_value() {
    let reading: Reading<Even> = read_text("3\n");
    assert!(reading.value.is_none());
    assert_eq!(found(&reading), ["invalid-value 1:1 : invalid value: 3 is odd"]);
}

/// Whatever a manifest gets wrong, the messages speak of YAML, not of Rust.
#[test]
fn messages_name_no_rust_types() {
    let cases = [
        "[a]\n",
        "domain: [a]\n",
        "domain: a\ntopics: 1\n",
        "domain: a\ntopics:\n  t: [x]\n",
        "domain: a\ntopics:\n  t: { fifo: 1, schema: [x], http: ~ }\n",
        "domain: a\nqueues:\n  q: { dead_letter: { max_receive_count: x, retention: 1 } }\n",
        "domain: a\nqueues:\n  q: { dead_letter: { max_receive_count: 99999999999999999999 } }\n",
        "domain: a\nqueues:\n  q: { dead_letter: [1], subscriptions: [x, { topic: 1 }, { filter: [] }] }\n",
        "domain: a\nqueues:\n  q: { subscriptions: [{ topic: a, filter: { attributes: [1] } }] }\n",
        "domain: a\nencryption: { kms_key: 1, extra: 2 }\n",
        "domain: a\nencryption: [customer-key]\n",
        "domain: a\nencryption: ~\n",
        "domain: a\nalerts: { email: x, topic_arn: 1 }\n",
        "domain: a\ntags: { a: [1], b: {}, c: ~ }\n",
    ];
    let rust_words =
        ["u8", "u16", "u32", "u64", "u128", "i64", "struct", "unit", "sequence", "map ", "Manifest", "variant", "enum"];
    for text in cases {
        let reading: Reading<DomainManifest> = read_text(text);
        assert!(!reading.diagnostics.is_empty(), "{text}");
        for diagnostic in &reading.diagnostics {
            for word in rust_words {
                assert!(!diagnostic.message.contains(word), "{text}: {}", diagnostic.message);
            }
        }
    }
    let reading: Reading<SettingsManifest> = read_text("stages: dev\nssm_prefix: 1\n");
    assert_eq!(reading.diagnostics.len(), 2);
}
