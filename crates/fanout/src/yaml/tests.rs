use super::*;

fn root(text: &str) -> Node {
    let tree = parse(text);
    assert!(tree.diagnostics.is_empty(), "{text:?}: {:?}", tree.diagnostics);
    tree.root.unwrap_or_else(|| panic!("{text:?} has no document"))
}

fn value(text: &str) -> Value {
    let Value::Map(map) = root(&format!("v: {text}\n")).value else { panic!("not a mapping") };
    map.entries.into_iter().next().map(|entry| entry.value.value).unwrap_or(Value::Null)
}

/// The kinds and positions (`line:column`) of what the reader refused.
fn refused(text: &str) -> Vec<String> {
    parse(text)
        .diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(|l| format!("{}:{}", l.line, l.column)).unwrap_or_default();
            format!("{} {at} {}", d.kind, d.path)
        })
        .collect()
}

#[test]
fn plain_scalars_are_typed_by_the_core_schema() {
    for (text, expected) in [
        ("true", Value::Bool(true)),
        ("False", Value::Bool(false)),
        ("~", Value::Null),
        ("null", Value::Null),
        ("", Value::Null),
        ("4711", Value::Int(4711)),
        ("-3", Value::Int(-3)),
        ("+3", Value::Int(3)),
        ("0x1f", Value::Int(31)),
        ("0o17", Value::Int(15)),
        ("18446744073709551615", Value::Int(18_446_744_073_709_551_615)),
        ("1.5", Value::Float(1.5)),
        ("-.5e3", Value::Float(-500.0)),
        ("1e400", Value::Float(f64::INFINITY)),
        ("99999999999999999999999999999999999999999", Value::Float(1e41)),
        (".inf", Value::Float(f64::INFINITY)),
        // YAML 1.1's words are strings in YAML 1.2, as are numbers with separators.
        ("yes", Value::Str("yes".into())),
        ("off", Value::Str("off".into())),
        ("1_000", Value::Str("1_000".into())),
        ("0b101", Value::Str("0b101".into())),
        ("4d", Value::Str("4d".into())),
        ("1.2.3", Value::Str("1.2.3".into())),
        ("-x", Value::Str("-x".into())),
        (".", Value::Str(".".into())),
    ] {
        assert_eq!(value(text), expected, "{text:?}");
    }
}

#[test]
fn quoted_and_block_scalars_are_strings() {
    assert_eq!(value("\"4711\""), Value::Str("4711".into()));
    assert_eq!(value("'true'"), Value::Str("true".into()));
    assert_eq!(value("''"), Value::Str(String::new()));
    assert_eq!(value("|\n  42\n"), Value::Str("42\n".into()));
}

#[test]
fn nan_is_a_float() {
    assert!(matches!(value(".nan"), Value::Float(value) if value.is_nan()));
}

#[test]
fn positions_count_lines_and_characters_from_one() {
    let text = "domain: a\ndescription: \"é\" \nqueues:\n  inbox:\n    subscriptions:\n      - topic: b/c\n        raw_message_delivery: true\n";
    let root = root(text);
    let positions = Positions::of(&root);
    let at = |path: FieldPath| positions.locate(&path).map(|p| (p.line(), p.column()));
    let sub = FieldPath::root().key("queues").key("inbox").key("subscriptions").index(0);
    assert_eq!(at(FieldPath::root().key("domain")), Some((1, 1)));
    assert_eq!(at(FieldPath::root().key("queues")), Some((3, 1)));
    assert_eq!(at(sub.clone()), Some((6, 9)));
    assert_eq!(at(sub.key("topic")), Some((6, 9)));
    assert_eq!(at(sub.key("raw_message_delivery")), Some((7, 9)));
    // A field that is not written points at the nearest written one.
    assert_eq!(at(sub.key("filter")), Some((6, 9)));
    assert_eq!(at(FieldPath::root().key("queues").key("inbox").key("subscriptions").index(5)), Some((5, 5)));
    // Values are where they are written, an empty one at its key.
    let Value::Map(map) = &root.value else { panic!("a mapping") };
    let description = map.get("description").map(|entry| entry.value.at);
    assert_eq!(description.map(|p| (p.line(), p.column())), Some((2, 14)));
    let Value::Map(map) = &parse("a:\nb: 1\n").root.unwrap_or_else(|| panic!("a document")).value else {
        panic!("a mapping")
    };
    assert_eq!(map.get("a").map(|entry| (entry.value.at.line(), entry.value.at.column())), Some((1, 1)));
}

#[test]
fn large_mappings_are_located_through_their_index() {
    let text: String = (0..100).map(|i| format!("q{i}:\n  fifo: true\n")).collect();
    let positions = Positions::of(&root(&text));
    for i in [0, 17, 99] {
        let path = FieldPath::root().key(format!("q{i}")).key("fifo");
        assert_eq!(positions.locate(&path).map(|p| (p.line(), p.column())), Some((2 * i + 2, 3)));
    }
    assert_eq!(positions.locate(&FieldPath::root().key("q100")).map(|p| p.line()), Some(1));
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let root = root("\u{feff}domain: a\n");
    let Value::Map(map) = root.value else { panic!("a mapping") };
    let entry = map.get("domain").unwrap_or_else(|| panic!("`domain` is read as `domain`"));
    assert_eq!((entry.key_at.line(), entry.key_at.column()), (1, 1));
}

#[test]
fn a_duplicate_key_is_refused_at_its_second_occurrence_with_its_field() {
    assert_eq!(refused("a: 1\nb:\n  c: 1\n  \"c\": 2\n"), ["duplicate-key 4:3 b.c"]);
    assert_eq!(refused("a: 1\na: 2\n"), ["duplicate-key 2:1 a"]);
    let tree = parse("t:\n  x: 1\n  y: 2\n  x: 3\n");
    assert_eq!(tree.diagnostics[0].message, "`x` is written twice in `t`");
    assert_eq!(tree.diagnostics[0].hint.as_deref(), Some("the first `x` is on line 2; keep one, or merge the two"));
    // The first stays.
    let Some(Node { value: Value::Map(map), .. }) = tree.root else { panic!("a mapping") };
    let Some(Entry { value: Node { value: Value::Map(t), .. }, .. }) = map.get("t") else { panic!("t") };
    assert_eq!(t.get("x").map(|entry| &entry.value.value), Some(&Value::Int(1)));
    // Large mappings find duplicates through their index.
    let text: String = (0..40).map(|i| format!("k{i}: 1\n")).chain(["k7: 2\n".to_string()]).collect();
    assert_eq!(refused(&text), ["duplicate-key 41:1 k7"]);
}

#[test]
fn tags_are_refused_where_they_are_written() {
    assert_eq!(refused("a: !Sub x\n"), ["yaml-tag 1:4 a"]);
    assert_eq!(refused("a:\n  b: !!python/object:os.system x\n"), ["yaml-tag 2:6 a.b"]);
    assert_eq!(refused("- !!str 42\n"), ["yaml-tag 1:3 [0]"]);
    assert_eq!(refused("a: !t [x]\n"), ["yaml-tag 1:4 a"]);
    let tree = parse("a: !Ref b\n");
    assert_eq!(tree.diagnostics[0].message, "YAML tag `!Ref`: manifests hold plain values");
    assert_eq!(tree.diagnostics[0].kind, DiagnosticKind::YamlTag);
}

#[test]
fn keys_that_are_not_names_are_refused_and_dropped() {
    assert_eq!(refused("a: 1\n? [x]\n: y\nb: 2\n"), ["complex-key 2:3 "]);
    let Some(Node { value: Value::Map(map), .. }) = parse("a: 1\n? [x]\n: y\nb: 2\n").root else { panic!("a mapping") };
    assert_eq!(map.entries.iter().map(|entry| entry.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(refused("{[a]: 1, b: 2}\n"), ["complex-key 1:2 "]);
}

#[test]
fn a_second_document_is_refused_and_the_first_kept() {
    let tree = parse("a: 1\n---\nb: 2\n");
    assert_eq!(refused("a: 1\n---\nb: 2\n"), ["multiple-documents 2:1 "]);
    assert!(tree.root.is_some());
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    for text in [
        "[".repeat(100),
        "{a: ".repeat(100),
        "a:\n".to_string() + &(1..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect::<String>(),
        "? ".to_string() + &"[".repeat(100),
    ] {
        let tree = parse(&text);
        assert!(tree.root.is_none());
        let kinds: Vec<_> = tree.diagnostics.iter().map(|d| d.kind).collect();
        assert_eq!(kinds.last(), Some(&DiagnosticKind::NestingTooDeep), "{}", &text[..10]);
    }
    // Far deeper, the YAML reader refuses it before the tree is built.
    for text in ["[".repeat(100_000), "{a: ".repeat(100_000)] {
        let tree = parse(&text);
        assert!(tree.root.is_none());
        assert_eq!(tree.diagnostics.len(), 1, "{:?}", tree.diagnostics);
    }
}

#[test]
fn aliases_copy_their_anchor_within_a_bound() {
    let Some(Node { value: Value::Map(map), .. }) = parse("a: &x [1, 2]\nb: *x\n").root else { panic!("a mapping") };
    assert_eq!(
        map.get("b").map(|entry| &entry.value.value),
        Some(&Value::Seq(vec![
            Node { at: Position::new(1, 8), value: Value::Int(1) },
            Node { at: Position::new(1, 11), value: Value::Int(2) },
        ]))
    );
    // Each level copies the one before ten times: 10^6 values from a few lines.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..7 {
        let previous = format!("*a{}", level - 1);
        bomb.push_str(&format!("a{level}: &a{level} [{}]\n", vec![previous; 10].join(", ")));
    }
    let tree = parse(&bomb);
    assert!(tree.root.is_none());
    assert_eq!(tree.diagnostics.iter().map(|d| d.kind).collect::<Vec<_>>(), [DiagnosticKind::AliasExpansion]);
}

#[test]
fn syntax_errors_are_located_at_the_offending_key() {
    let tree = parse("domain: a\nqueues:\n  inbox:\n    fifo: true\n   subscriptions:\n      - topic: a/b\n");
    assert!(tree.root.is_none());
    assert_eq!(refused("domain: a\nqueues:\n  inbox:\n    fifo: true\n   subscriptions:\n"), ["yaml-syntax 5:4 "]);
    assert_eq!(refused("a: [\n").len(), 1);
    assert_eq!(refused("a: *unknown\n"), ["yaml-syntax 1:4 "]);
}

#[test]
fn an_empty_text_has_no_document() {
    for text in ["", "# only a comment\n", "\u{feff}"] {
        let tree = parse(text);
        assert!(tree.root.is_none() && tree.diagnostics.is_empty(), "{text:?}");
    }
    assert_eq!(parse("~\n").root.map(|node| node.value), Some(Value::Null));
}

#[test]
fn nodes_describe_themselves_without_rust_words() {
    let long = "x".repeat(100);
    for (text, expected) in [
        ("~", "nothing"),
        ("true", "`true`"),
        ("4711", "the number `4711`"),
        ("1.5", "the number `1.5`"),
        ("yes", "the string `yes`"),
        ("[a]", "a list"),
        ("{a: 1}", "a mapping"),
        (long.as_str(), "the string `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...`"),
    ] {
        let node = Node { at: Position::ORIGIN, value: value(text) };
        assert_eq!(node.describe(), expected, "{text}");
    }
}
