//! The one reader of YAML: text → a tree of nodes, each with its line and column.
//!
//! Manifests and `fanout.yaml` are read here once, from yaml-rust2's events. Everything
//! later takes positions from this tree: the typed reading ([`de`]), the per-field checks
//! and the cross-domain checks ([`Tree::locate`]).
//!
//! The reader refuses what a manifest has no use for, each where it is written: duplicate
//! keys (at the second occurrence), tags (`!Sub`, `!!str`), keys that are lists or
//! mappings, more than one document, nesting deeper than [`MAX_DEPTH`] and aliases that
//! copy more than [`MAX_ALIAS_NODES`] nodes. Scalars are typed here and nowhere else, by
//! YAML 1.2's core schema: a plain `true` is a boolean, `4711` a whole number, `1.5` a
//! number, `~` or nothing is null; quoted and block scalars are strings. Mapping keys are
//! names: their text, whatever it looks like.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diagnostic::{Diagnostic, DiagnosticKind, FieldPath, Segment};

pub(crate) mod de;

/// Deeper than this, a document is refused: no manifest field is this deep, and it keeps
/// pathological input linear.
pub(crate) const MAX_DEPTH: usize = 64;

/// How many nodes aliases may copy in one document: far more than a manifest needs, far
/// fewer than an alias bomb (`a: &a [*b, *b, ...]` nested) would make.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;

/// A line and column in the text, both from 1; columns count characters. Kept small: a
/// tree holds two per mapping entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    line: u32,
    column: u32,
}

impl Position {
    /// Nowhere in the text: the place of a value fanout made up.
    pub(crate) const ORIGIN: Position = Position { line: 0, column: 0 };

    pub(crate) fn new(line: usize, column: usize) -> Self {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self { line: small(line), column: small(column) }
    }

    fn of(marker: &Marker) -> Self {
        Self::new(marker.line(), marker.col() + 1)
    }

    pub(crate) fn line(self) -> usize {
        self.line as usize
    }

    pub(crate) fn column(self) -> usize {
        self.column as usize
    }
}

/// A value in the document and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub at: Position,
    pub value: Value,
}

/// A node's value, scalars already typed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// A whole number; `i128` holds every `i64` and `u64`.
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Map),
}

/// A mapping's entries, in the order written.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Map {
    pub entries: Vec<Entry>,
    /// For a large mapping, the position of each key in `entries`.
    index: Option<HashMap<String, usize>>,
}

impl Map {
    /// The entry of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        match &self.index {
            Some(index) => index.get(key).map(|at| &self.entries[*at]),
            None => self.entries.iter().find(|entry| entry.key == key),
        }
    }

    /// Adds an entry, or hands it back when its key is already there.
    fn insert(&mut self, entry: Entry) -> Option<Entry> {
        match &mut self.index {
            Some(index) if index.contains_key(&entry.key) => return Some(entry),
            Some(index) => {
                index.insert(entry.key.clone(), self.entries.len());
            }
            None if self.entries.iter().any(|other| other.key == entry.key) => return Some(entry),
            None if self.entries.len() >= INDEX_FROM => {
                let index = self.entries.iter().enumerate().map(|(at, entry)| (entry.key.clone(), at));
                let mut index: HashMap<String, usize> = index.collect();
                index.insert(entry.key.clone(), self.entries.len());
                self.index = Some(index);
            }
            None => {}
        }
        self.entries.push(entry);
        None
    }
}

/// One key and value of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key is written.
    pub key_at: Position,
    pub value: Node,
}

impl Node {
    /// What the node is, for messages: `the number `4``, `a list`.
    pub(crate) fn describe(&self) -> String {
        match &self.value {
            Value::Null => "nothing".to_string(),
            Value::Bool(value) => format!("`{value}`"),
            Value::Int(value) => format!("the number `{value}`"),
            Value::Float(value) => format!("the number `{value}`"),
            Value::Str(text) => format!("the string `{}`", shorten(text)),
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }

    /// How many nodes the tree below and including this one holds.
    fn size(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(map) => 1 + map.entries.iter().map(|entry| entry.value.size()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// `text`, cut to a length a message can quote.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// A parsed document: its root (`None` when the text holds no document or is not YAML)
/// and what the reader refused, in the order found.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where each mapping key and list item of a document is written, without the values: what
/// locating a diagnostic needs, kept once the typed value is read (a tenth of the tree's size).
#[derive(Debug, Default)]
pub(crate) struct Positions {
    /// The root, then every entry and item in document order; a slot's subtree follows it.
    slots: Vec<Slot>,
    /// The keys' text, one after another.
    keys: String,
    /// For a large mapping, by slot: its entries' slots sorted by key.
    sorted: HashMap<u32, Vec<u32>>,
}

#[derive(Debug)]
struct Slot {
    /// Where the entry's key, or the item, is written.
    at: Position,
    /// The key's text in `keys`, for an entry.
    key: (u32, u32),
    /// The slot past this one's subtree.
    end: u32,
    kind: SlotKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    Map,
    Seq,
    Scalar,
}

impl Positions {
    /// The positions of `root`'s tree.
    pub(crate) fn of(root: &Node) -> Self {
        let mut positions = Positions::default();
        positions.add(root, root.at, None);
        positions
    }

    fn add(&mut self, node: &Node, at: Position, key: Option<&str>) {
        let slot = self.slots.len();
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let key = key.map_or((0, 0), |key| {
            self.keys.push_str(key);
            (small(self.keys.len() - key.len()), small(key.len()))
        });
        let kind = match &node.value {
            Value::Map(_) => SlotKind::Map,
            Value::Seq(_) => SlotKind::Seq,
            _ => SlotKind::Scalar,
        };
        self.slots.push(Slot { at, key, end: 0, kind });
        match &node.value {
            Value::Map(map) => {
                for entry in &map.entries {
                    self.add(&entry.value, entry.key_at, Some(&entry.key));
                }
                if map.entries.len() >= INDEX_FROM {
                    self.slots[slot].end = small(self.slots.len());
                    let mut children: Vec<u32> = self.children(slot).collect();
                    children.sort_by(|a, b| self.key(*a).cmp(self.key(*b)));
                    self.sorted.insert(small(slot), children);
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.add(item, item.at, None);
                }
            }
            _ => {}
        }
        let end = small(self.slots.len());
        self.slots[slot].end = end;
    }

    fn key(&self, slot: u32) -> &str {
        let (start, len) = self.slots[slot as usize].key;
        self.keys.get(start as usize..(start + len) as usize).unwrap_or_default()
    }

    /// The slots of a slot's entries or items, in order.
    fn children(&self, slot: usize) -> impl Iterator<Item = u32> + '_ {
        let end = self.slots.get(slot).map_or(0, |s| s.end);
        std::iter::successors(Some(slot as u32 + 1), move |child| self.slots.get(*child as usize).map(|s| s.end))
            .take_while(move |child| *child < end)
    }

    /// Where the field at `path` is written: its key, or the item for a list index; a field
    /// that is not written falls back to the nearest enclosing one that is.
    pub(crate) fn locate(&self, path: &FieldPath) -> Option<Position> {
        let mut slot = 0usize;
        let mut at = self.slots.first()?.at;
        for segment in path.segments() {
            let kind = self.slots[slot].kind;
            let found = match (segment, kind) {
                (Segment::Key(key), SlotKind::Map) => match self.sorted.get(&(slot as u32)) {
                    Some(sorted) => {
                        sorted.binary_search_by(|child| self.key(*child).cmp(key.as_str())).ok().map(|at| sorted[at])
                    }
                    None => self.children(slot).find(|child| self.key(*child) == key),
                },
                (Segment::Index(index), SlotKind::Seq) => self.children(slot).nth(*index),
                _ => None,
            };
            let Some(found) = found else { break };
            slot = found as usize;
            at = self.slots[slot].at;
        }
        Some(at)
    }
}

/// Parses `text` (a leading byte-order mark is skipped) into its tree.
pub(crate) fn parse(text: &str) -> Tree {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder { text, ..Builder::default() };
    let mut parser = Parser::new_from_str(text);
    // Event by event rather than `Parser::load`, which recurses once per nesting level.
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, marker)) => {
                if let Err(stop) = builder.on_event(event, &marker) {
                    builder.diagnostics.push(*stop);
                    return Tree { root: None, diagnostics: builder.diagnostics };
                }
                if builder.finished {
                    break;
                }
            }
            Err(err) => {
                let position = syntax_error_position(text, Position::of(err.marker()));
                builder.diagnostics.push(at(
                    Diagnostic::error(
                        DiagnosticKind::YamlSyntax,
                        FieldPath::root(),
                        format!("invalid YAML: {}", err.info()),
                    )
                    .with_hint("check the indentation and quoting near this position"),
                    position,
                ));
                return Tree { root: None, diagnostics: builder.diagnostics };
            }
        }
    }
    Tree { root: builder.root, diagnostics: builder.diagnostics }
}

/// Where to point at a syntax error found at `found`: a key's `:` where no key may be
/// (a key indented wrongly) is reported at the key.
fn syntax_error_position(text: &str, found: Position) -> Position {
    let Some(line) = text.lines().nth(found.line().saturating_sub(1)) else { return found };
    let before: String = line.chars().take(found.column().saturating_sub(1)).collect();
    let key = before.trim_start();
    let at_colon = line.chars().nth(found.column().saturating_sub(1)) == Some(':');
    if at_colon && !key.is_empty() && !key.contains([':', '#', '-', '[', '{', '"', '\'']) {
        return Position::new(found.line(), before.chars().count() - key.chars().count() + 1);
    }
    found
}

fn too_deep(path: FieldPath, position: Position) -> Diagnostic {
    at(
        Diagnostic::error(
            DiagnosticKind::NestingTooDeep,
            path,
            format!("the document nests deeper than {MAX_DEPTH} levels"),
        )
        .with_hint("manifests are a few levels deep; check for unbalanced brackets"),
        position,
    )
}

/// A diagnostic with its position; the loader adds the file.
pub(crate) fn at(mut diagnostic: Diagnostic, position: Position) -> Diagnostic {
    diagnostic.location = Some(crate::diagnostic::Location {
        file: Default::default(),
        line: position.line(),
        column: position.column(),
    });
    diagnostic
}

/// A mapping or sequence being read.
#[derive(Debug)]
enum Frame {
    Seq {
        at: Position,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        at: Position,
        anchor: usize,
        map: Map,
        /// The key read, waiting for its value.
        key: Option<(String, Position)>,
        /// Whether the value to come belongs to a refused key, and is dropped.
        drop_value: bool,
    },
    /// A mapping key that is itself a list or a mapping: read and dropped.
    Ignored {
        depth: usize,
    },
}

/// Past this many entries, a mapping keeps an index of its keys.
const INDEX_FROM: usize = 16;

#[derive(Debug, Default)]
struct Builder<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    documents: usize,
    finished: bool,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn on_event(&mut self, event: Event, marker: &Marker) -> Result<(), Box<Diagnostic>> {
        let stacked = self.stack.len();
        if let Some(Frame::Ignored { depth }) = self.stack.last_mut() {
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) if stacked + *depth >= MAX_DEPTH => {
                    return Err(Box::new(too_deep(FieldPath::root(), Position::of(marker))));
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => *depth += 1,
                Event::SequenceEnd | Event::MappingEnd if *depth == 0 => {
                    self.stack.pop();
                }
                Event::SequenceEnd | Event::MappingEnd => *depth -= 1,
                _ => {}
            }
            return Ok(());
        }
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.diagnostics.push(at(
                        Diagnostic::error(
                            DiagnosticKind::MultipleDocuments,
                            FieldPath::root(),
                            "a second YAML document; a manifest is one document",
                        )
                        .with_hint("remove the `---` line and what follows, or move it into a file of its own"),
                        Position::of(marker),
                    ));
                    self.finished = true;
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let position = self.scalar_position(&text, style, marker);
                self.refuse_tag(tag.as_ref(), position);
                if let Some(Frame::Map { key: key @ None, drop_value: false, .. }) = self.stack.last_mut() {
                    *key = Some((text, position));
                    self.first_key_at(position);
                    return Ok(());
                }
                let node = Node { at: position, value: typed(text, style) };
                self.complete(node, anchor);
            }
            Event::Alias(anchor) => {
                let position = Position::of(marker);
                let Some(node) = self.anchors.get(&anchor) else {
                    return Err(Box::new(at(
                        Diagnostic::error(
                            DiagnosticKind::YamlSyntax,
                            FieldPath::root(),
                            "invalid YAML: an alias to an unknown anchor",
                        )
                        .with_hint("define the anchor (`&name`) before its alias (`*name`)"),
                        position,
                    )));
                };
                self.alias_nodes += node.size();
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Box::new(at(
                        Diagnostic::error(
                            DiagnosticKind::AliasExpansion,
                            self.path(),
                            format!("aliases copy more than {MAX_ALIAS_NODES} values of the document"),
                        )
                        .with_hint("write the values out, or use fewer aliases"),
                        position,
                    )));
                }
                let node = Node { at: position, value: node.value.clone() };
                if self.expects_key() {
                    self.complex_key(position);
                    return Ok(());
                }
                self.complete(node, 0);
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let position = Position::of(marker);
                self.refuse_tag(tag.as_ref(), position);
                if self.expects_key() {
                    self.complex_key(position);
                    self.stack.push(Frame::Ignored { depth: 0 });
                    return Ok(());
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Box::new(too_deep(self.path(), position)));
                }
                self.stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { at: position, anchor, items: Vec::new() }
                } else {
                    Frame::Map { at: position, anchor, map: Map::default(), key: None, drop_value: false }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { at, anchor, items, .. }) => (Node { at, value: Value::Seq(items) }, anchor),
                    Some(Frame::Map { at, anchor, map, .. }) => (Node { at, value: Value::Map(map) }, anchor),
                    Some(Frame::Ignored { .. }) | None => return Ok(()),
                };
                self.complete(node, anchor);
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Where a scalar is written: an empty value (`key:` and nothing) is placed at its key,
    /// as the parser's marker for it is already on the next line.
    fn scalar_position(&self, text: &str, style: TScalarStyle, marker: &Marker) -> Position {
        if text.is_empty()
            && style == TScalarStyle::Plain
            && let Some(Frame::Map { key: Some((_, key_at)), .. }) = self.stack.last()
        {
            return *key_at;
        }
        Position::of(marker)
    }

    /// A block mapping's start marker lies past its first key; the key is where a reader
    /// sees the mapping begin.
    fn first_key_at(&mut self, position: Position) {
        if let Some(Frame::Map { at, map, .. }) = self.stack.last_mut()
            && map.entries.is_empty()
            && position < *at
        {
            *at = position;
        }
    }

    fn refuse_tag(&mut self, tag: Option<&Tag>, value_at: Position) {
        let Some(tag) = tag else { return };
        let written = if tag.handle == "tag:yaml.org,2002:" {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        let path = self.path_of_next();
        self.diagnostics.push(at(
            Diagnostic::error(
                DiagnosticKind::YamlTag,
                path,
                format!("YAML tag `{written}`: manifests hold plain values"),
            )
            .with_hint("remove the tag; to make a value text, quote it (`\"42\"`)"),
            self.tag_position(value_at),
        ));
    }

    /// Where the tag before the value at `value_at` starts: the last `!` before the value on
    /// its line (a `!!` counts from its first `!`).
    fn tag_position(&self, value_at: Position) -> Position {
        let Some(line) = self.text.lines().nth(value_at.line().saturating_sub(1)) else { return value_at };
        let before: Vec<char> = line.chars().take(value_at.column().saturating_sub(1)).collect();
        let Some(mut start) = before.iter().rposition(|c| *c == '!') else { return value_at };
        while start > 0 && before[start - 1] == '!' {
            start -= 1;
        }
        Position::new(value_at.line(), start + 1)
    }

    /// Whether the next node is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, drop_value: false, .. }))
    }

    /// Refuses a key that is a list, a mapping or an alias; its entry is dropped.
    fn complex_key(&mut self, position: Position) {
        let path = self.path();
        self.diagnostics.push(at(
            Diagnostic::error(DiagnosticKind::ComplexKey, path, "a mapping key that is not a plain name")
                .with_hint("keys are names: write `name: value`"),
            position,
        ));
        if let Some(Frame::Map { drop_value, .. }) = self.stack.last_mut() {
            *drop_value = true;
        }
    }

    /// The path of the frame on top: while a frame is open, the frame below it holds the key
    /// or index it is read under. Built only for diagnostics.
    fn path(&self) -> FieldPath {
        let mut path = FieldPath::root();
        let Some((_, outer)) = self.stack.split_last() else { return path };
        for frame in outer {
            path = match frame {
                Frame::Seq { items, .. } => path.index(items.len()),
                Frame::Map { key: Some((key, _)), .. } => path.key(key.clone()),
                Frame::Map { key: None, .. } | Frame::Ignored { .. } => path,
            };
        }
        path
    }

    /// The path of the node about to start or complete.
    fn path_of_next(&self) -> FieldPath {
        let path = self.path();
        match self.stack.last() {
            Some(Frame::Seq { items, .. }) => path.index(items.len()),
            Some(Frame::Map { key: Some((key, _)), .. }) => path.key(key.clone()),
            _ => path,
        }
    }

    /// Whether the key waiting in the mapping on top is already there.
    fn duplicate_ahead(&self) -> bool {
        match self.stack.last() {
            Some(Frame::Map { map, key: Some((key, _)), drop_value: false, .. }) => map.get(key).is_some(),
            _ => false,
        }
    }

    /// Adds a finished node to the frame on top, or makes it the root.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let in_map = matches!(self.stack.last(), Some(Frame::Map { .. }));
        let path = if in_map && self.duplicate_ahead() { self.path() } else { FieldPath::root() };
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { map, key, drop_value, .. }) => {
                if std::mem::take(drop_value) {
                    return;
                }
                let Some((key, key_at)) = key.take() else { return };
                if let Some(entry) = map.insert(Entry { key, key_at, value: node }) {
                    let first = map.get(&entry.key).map_or(0, |first| first.key_at.line());
                    let key = entry.key;
                    let place = if path.is_root() { "the top level".to_string() } else { format!("`{path}`") };
                    let diagnostic = Diagnostic::error(
                        DiagnosticKind::DuplicateKey,
                        path.key(key.clone()),
                        format!("`{key}` is written twice in {place}"),
                    )
                    .with_hint(format!("the first `{key}` is on line {first}; keep one, or merge the two"));
                    self.diagnostics.push(at(diagnostic, key_at));
                }
            }
            Some(Frame::Ignored { .. }) => {}
        }
    }
}

/// The typed value of a scalar: YAML 1.2's core schema for plain scalars, text otherwise.
fn typed(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(value) = integer(&text) {
        return Value::Int(value);
    }
    if is_float(&text)
        && let Ok(value) = text.parse::<f64>()
    {
        return Value::Float(value);
    }
    Value::Str(text)
}

/// A core-schema integer: decimal with an optional sign, `0o` octal or `0x` hexadecimal.
/// A decimal too large for `i128` is a float, as YAML readers take it.
fn integer(text: &str) -> Option<i128> {
    if let Some(octal) = text.strip_prefix("0o") {
        return (!octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .then(|| i128::from_str_radix(octal, 8).ok())
            .flatten();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| i128::from_str_radix(hex, 16).ok())
            .flatten();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A core-schema float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(exponent) => {
            let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
            !exponent.is_empty() && digits(exponent)
        }
    };
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests;
