//! The typed reading: any serde type from a [`Node`] tree, with every error structured
//! (which field, what was expected, what was found, where) and as many errors per document
//! as there are.
//!
//! Reading goes on past a mistake wherever it can, so one run reports them all:
//! - a key the type does not have is reported and skipped (every manifest type denies
//!   unknown fields);
//! - a value of the wrong type is reported and read as the type's empty value (`false`, `0`,
//!   an empty string, list or mapping);
//! - a missing field, or a value the type itself refuses (an unknown `encryption` mode), stops
//!   the reading; it is reported, the document is mended (a missing field is added as
//!   empty, a refused value is left out) and read again, until it reads or cannot be mended.
//!
//! Every path where a value was made up or left out is returned as unread: the checks that
//! run on the typed value later report nothing under those paths, as what they would see
//! there is not what the file says.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor};

use super::{Entry, Node, Position, Value, at};
use crate::diagnostic::{Diagnostic, DiagnosticKind, FieldPath, did_you_mean};

/// How many times a document is mended and read again before reading gives up.
const MAX_PASSES: usize = 100;

/// How to write the field at a path, for the hint of a wrong value: the caller knows its
/// fields.
pub(crate) type Hints = fn(&FieldPath) -> Option<&'static str>;

/// What a typed reading gives: the value if it could be read, the diagnostics (positioned,
/// without a file), and the paths whose values were not read as written.
#[derive(Debug)]
pub(crate) struct Reading<T> {
    pub value: Option<T>,
    pub diagnostics: Vec<Diagnostic>,
    pub unread: Vec<FieldPath>,
}

/// Reads a `T` from `root`.
pub(crate) fn read<T: DeserializeOwned>(root: &Node, hints: Hints) -> Reading<T> {
    let mut edits = Edits::default();
    let mut reported = Reported::default();
    for _ in 0..MAX_PASSES {
        let pass = Pass { edits: &edits, found: RefCell::default(), unread: RefCell::default(), hints };
        let result = T::deserialize(De { node: root, trail: &Trail::Root, pass: &pass, made_up: false });
        for diagnostic in pass.found.into_inner() {
            reported.diagnostic(diagnostic);
        }
        for path in pass.unread.into_inner() {
            reported.unread(path);
        }
        let problem = match result {
            Ok(value) => return reported.finish(Some(value)),
            Err(Error(problem)) => *problem,
        };
        let (path, position) = problem.place.clone().unwrap_or_else(|| (FieldPath::root(), root.at));
        let field = match &problem.what {
            What::Missing(field) => path.key(*field),
            _ => path.clone(),
        };
        if !problem.quiet && !reported.is_unread(&path) {
            reported.diagnostic(problem.diagnostic(&path, position, hints));
        }
        reported.unread(field);
        match problem.fix {
            Some(fix) if edits.add(fix) => {}
            _ => return reported.finish(None),
        }
    }
    reported.diagnostic(at(
        Diagnostic::error(
            DiagnosticKind::TooManyErrors,
            FieldPath::root(),
            format!("reading stopped after {MAX_PASSES} errors"),
        )
        .with_hint("fix these first, then check the file again"),
        root.at,
    ));
    reported.finish(None)
}

/// What the passes found, without repeats: each pass finds the mistakes the one before
/// found, and those behind a part left out no more.
#[derive(Default)]
struct Reported {
    diagnostics: Vec<Diagnostic>,
    seen: HashSet<(FieldPath, DiagnosticKind, String)>,
    unread: Vec<FieldPath>,
}

impl Reported {
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        if self.seen.insert((diagnostic.path.clone(), diagnostic.kind, diagnostic.message.clone())) {
            self.diagnostics.push(diagnostic);
        }
    }

    fn unread(&mut self, path: FieldPath) {
        if !self.unread.contains(&path) {
            self.unread.push(path);
        }
    }

    fn is_unread(&self, path: &FieldPath) -> bool {
        self.unread.iter().any(|unread| path.is_within(unread))
    }

    fn finish<T>(mut self, value: Option<T>) -> Reading<T> {
        // In the order of the text, whichever pass found them.
        self.diagnostics.sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
        Reading { value, diagnostics: self.diagnostics, unread: self.unread }
    }
}

/// How the document is mended between passes; nodes are known by address, as the tree does
/// not change.
#[derive(Default)]
struct Edits {
    /// Fields added, as empty values, to the mapping at an address.
    inserts: HashMap<usize, Vec<&'static str>>,
    /// Entries and items left out, by the address of their value.
    prunes: HashSet<usize>,
}

impl Edits {
    /// Applies `fix`; `false` if it was applied before (mending no longer helps).
    fn add(&mut self, fix: Fix) -> bool {
        match fix {
            Fix::Insert(map, field) => {
                let fields = self.inserts.entry(map).or_default();
                if fields.contains(&field) {
                    return false;
                }
                fields.push(field);
                true
            }
            Fix::Prune(node) => self.prunes.insert(node),
        }
    }

    fn pruned(&self, node: &Node) -> bool {
        !self.prunes.is_empty() && self.prunes.contains(&address(node))
    }
}

fn address(node: &Node) -> usize {
    std::ptr::from_ref(node) as usize
}

/// One reading of the document.
struct Pass<'e> {
    edits: &'e Edits,
    found: RefCell<Vec<Diagnostic>>,
    unread: RefCell<Vec<FieldPath>>,
    hints: Hints,
}

/// The path to a node, kept on the stack while reading; a [`FieldPath`] is built only for a
/// diagnostic.
#[derive(Clone, Copy)]
enum Trail<'t> {
    Root,
    Key(&'t Trail<'t>, &'t str),
    Index(&'t Trail<'t>, usize),
}

impl Trail<'_> {
    fn path(&self) -> FieldPath {
        match self {
            Trail::Root => FieldPath::root(),
            Trail::Key(parent, key) => parent.path().key(*key),
            Trail::Index(parent, index) => parent.path().index(*index),
        }
    }
}

/// A reading error: what went wrong, and, once known, where and how to mend it.
#[derive(Debug)]
pub(crate) struct Error(Box<Problem>);

#[derive(Debug)]
struct Problem {
    kind: DiagnosticKind,
    what: What,
    /// The path and position of the innermost node the error passed through.
    place: Option<(FieldPath, Position)>,
    /// Raised in a value fanout made up: it says nothing about the file.
    quiet: bool,
    fix: Option<Fix>,
}

#[derive(Debug)]
enum What {
    Missing(&'static str),
    Unknown { field: String, expected: &'static [&'static str] },
    Expected { expected: String, found: String },
    Custom(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fix {
    /// Add the field, empty, to the mapping at this address.
    Insert(usize, &'static str),
    /// Leave out the entry or item whose value is at this address.
    Prune(usize),
}

impl Error {
    fn new(kind: DiagnosticKind, what: What) -> Self {
        Self(Box::new(Problem { kind, what, place: None, quiet: false, fix: None }))
    }

    /// Leaves out the entry or item at `node`, unless an inner one was chosen.
    fn or_prune(mut self, node: &Node) -> Self {
        self.0.fix.get_or_insert(Fix::Prune(address(node)));
        self
    }
}

impl Problem {
    fn diagnostic(&self, path: &FieldPath, position: Position, hints: Hints) -> Diagnostic {
        let (path, message, hint) = match &self.what {
            What::Missing(field) => {
                let field_path = path.key(*field);
                let hint = hints(&field_path).unwrap_or("add it");
                (field_path, format!("missing field `{field}`"), hint.to_string())
            }
            What::Unknown { field, expected } => {
                let (message, hint) = unknown_field(path, field, expected);
                (path.clone(), message, hint)
            }
            What::Expected { expected, found } => {
                let what = if self.kind == DiagnosticKind::WrongType { "wrong type" } else { "invalid value" };
                (path.clone(), format!("{what}: expected {expected}, found {found}"), hint(path, hints))
            }
            What::Custom(message) => (path.clone(), format!("invalid value: {message}"), hint(path, hints)),
        };
        at(Diagnostic::error(self.kind, path, message).with_hint(hint), position)
    }
}

/// The message and hint for an unknown field at `path` (which ends with it).
fn unknown_field(path: &FieldPath, field: &str, expected: &[&str]) -> (String, String) {
    let parent = path.parent();
    let place = if parent.is_root() { "the top level".to_string() } else { format!("`{parent}`") };
    let hint = match did_you_mean(field, expected.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if expected.is_empty() => "this mapping takes no fields".to_string(),
        None => format!("valid fields: {}", quoted(expected)),
    };
    (format!("unknown field `{field}` in {place}"), hint)
}

fn hint(path: &FieldPath, hints: Hints) -> String {
    hints(path).unwrap_or("compare this field with the manifest reference (`fanout schema`)").to_string()
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.what {
            What::Missing(field) => write!(f, "missing field `{field}`"),
            What::Unknown { field, .. } => write!(f, "unknown field `{field}`"),
            What::Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            What::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Self::new(DiagnosticKind::InvalidValue, What::Custom(message.to_string()))
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        let what = What::Expected { expected: expected.to_string(), found: unexpected(&found) };
        Self::new(DiagnosticKind::WrongType, what)
    }

    fn invalid_value(found: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        let what = What::Expected { expected: expected.to_string(), found: unexpected(&found) };
        Self::new(DiagnosticKind::InvalidValue, what)
    }

    fn invalid_length(length: usize, expected: &dyn de::Expected) -> Self {
        let what = What::Expected { expected: expected.to_string(), found: format!("{length} values") };
        Self::new(DiagnosticKind::InvalidValue, what)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let what = What::Expected { expected: one_of(expected), found: format!("`{variant}`") };
        Self::new(DiagnosticKind::InvalidValue, what)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(DiagnosticKind::UnknownField, What::Unknown { field: field.to_string(), expected })
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(DiagnosticKind::MissingField, What::Missing(field))
    }
}

/// A value a type's own `Deserialize` refused, in the words of [`Node::describe`].
fn unexpected(found: &Unexpected<'_>) -> String {
    match found {
        Unexpected::Bool(value) => format!("`{value}`"),
        Unexpected::Unsigned(value) => format!("the number `{value}`"),
        Unexpected::Signed(value) => format!("the number `{value}`"),
        Unexpected::Float(value) => format!("the number `{value}`"),
        Unexpected::Char(value) => format!("the string `{value}`"),
        Unexpected::Str(value) => format!("the string `{value}`"),
        Unexpected::Unit => "nothing".to_string(),
        Unexpected::Seq => "a list".to_string(),
        Unexpected::Map => "a mapping".to_string(),
        Unexpected::Other(other) => (*other).to_string(),
        _ => "another kind of value".to_string(),
    }
}

fn one_of(names: &[&str]) -> String {
    match names {
        [one] => format!("`{one}`"),
        _ => format!("one of {}", quoted(names)),
    }
}

/// The deserializer of one node.
#[derive(Clone, Copy)]
struct De<'de, 't, 'p> {
    node: &'de Node,
    trail: &'t Trail<'t>,
    pass: &'p Pass<'p>,
    /// A value fanout added to mend the document: its errors say nothing about the file.
    made_up: bool,
}

/// The value a mended document holds for an added field.
static MADE_UP: Node = Node { at: Position::ORIGIN, value: Value::Null };

impl<'de, 't, 'p> De<'de, 't, 'p> {
    /// Reports that the node is not what `expected` describes; it is read as empty instead.
    fn wrong_type(&self, expected: &str) {
        self.soft(
            DiagnosticKind::WrongType,
            format!("wrong type: expected {expected}, found {}", self.node.describe()),
        );
    }

    /// Reports a value of the right type that is out of what the field takes.
    fn invalid_value(&self, expected: &str) {
        self.soft(
            DiagnosticKind::InvalidValue,
            format!("invalid value: expected {expected}, found {}", self.node.describe()),
        );
    }

    fn soft(&self, kind: DiagnosticKind, message: String) {
        let path = self.trail.path();
        if !self.made_up {
            let hint = hint(&path, self.pass.hints);
            let diagnostic = Diagnostic::error(kind, path.clone(), message).with_hint(hint);
            self.pass.found.borrow_mut().push(at(diagnostic, self.node.at));
        }
        self.pass.unread.borrow_mut().push(path);
    }

    /// Gives an error from this node's reading its place, and a missing field its mending.
    fn place(&self, mut error: Error) -> Error {
        let problem = &mut error.0;
        if problem.place.is_none() {
            problem.place = Some((self.trail.path(), self.node.at));
            problem.quiet = self.made_up;
            if let What::Missing(field) = problem.what
                && !self.made_up
            {
                problem.fix = Some(Fix::Insert(address(self.node), field));
            }
        }
        error
    }

    fn integer<T: TryFrom<i128> + Default + fmt::Display>(&self, min: T, max: T) -> T {
        match &self.node.value {
            Value::Int(value) => T::try_from(*value).unwrap_or_else(|_| {
                self.invalid_value(&format!("a whole number from {min} to {max}"));
                T::default()
            }),
            _ => {
                self.wrong_type("a whole number");
                T::default()
            }
        }
    }

    fn float(&self) -> f64 {
        match &self.node.value {
            Value::Float(value) => *value,
            // Whole numbers are numbers too; a very large one loses precision, as in JSON.
            Value::Int(value) => *value as f64,
            _ => {
                self.wrong_type("a number");
                0.0
            }
        }
    }

    fn text(&self) -> &'de str {
        match &self.node.value {
            Value::Str(text) => text,
            _ => {
                self.wrong_type("a string");
                ""
            }
        }
    }

    fn entries(&self, fields: Option<&'static [&'static str]>) -> Entries<'de, 't, 'p> {
        let entries: &'de [Entry] = match &self.node.value {
            Value::Map(map) => &map.entries,
            // An empty value is an empty mapping: `queues:` with nothing under it.
            Value::Null if fields.is_none() => &[],
            _ => {
                self.wrong_type("a mapping");
                &[]
            }
        };
        // Fields added to mend the document; only a struct misses a field, but one read
        // through a type's own `Deserialize` comes as a plain mapping.
        let added = self.pass.edits.inserts.get(&address(self.node)).map_or(&[][..], Vec::as_slice);
        Entries { entries: entries.iter(), added: added.iter(), fields, pending: None, parent: *self }
    }

    fn items(&self) -> Items<'de, 't, 'p> {
        let items: &'de [Node] = match &self.node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type("a list");
                &[]
            }
        };
        Items { items: items.iter().enumerate(), parent: *self }
    }
}

/// Deserializer methods for whole numbers of one type.
macro_rules! integers {
    ($($method:ident $visit:ident $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let value = self.integer::<$ty>(<$ty>::MIN, <$ty>::MAX);
            visitor.$visit(value).map_err(|err| self.place(err))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'de, '_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(value) => visitor.visit_bool(*value),
            Value::Int(value) => match (i64::try_from(*value), u64::try_from(*value)) {
                (Ok(value), _) => visitor.visit_i64(value),
                (_, Ok(value)) => visitor.visit_u64(value),
                _ => visitor.visit_f64(*value as f64),
            },
            Value::Float(value) => visitor.visit_f64(*value),
            Value::Str(text) => visitor.visit_str(text),
            Value::Seq(_) => visitor.visit_seq(self.items()),
            Value::Map(_) => visitor.visit_map(self.entries(None)),
        };
        result.map_err(|err| self.place(err))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = match self.node.value {
            Value::Bool(value) => value,
            _ => {
                self.wrong_type("`true` or `false`");
                false
            }
        };
        visitor.visit_bool(value).map_err(|err| self.place(err))
    }

    integers! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let value = self.float() as f32;
        visitor.visit_f32(value).map_err(|err| self.place(err))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(self.float()).map_err(|err| self.place(err))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.text();
        let mut chars = text.chars();
        let value = match (chars.next(), chars.next()) {
            (Some(value), None) => value,
            _ => {
                if matches!(self.node.value, Value::Str(_)) {
                    self.invalid_value("a single character");
                }
                ' '
            }
        };
        visitor.visit_char(value).map_err(|err| self.place(err))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.text()).map_err(|err| self.place(err))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_bytes(self.text().as_bytes()).map_err(|err| self.place(err))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        result.map_err(|err| self.place(err))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if !matches!(self.node.value, Value::Null) {
            self.wrong_type("nothing");
        }
        visitor.visit_unit().map_err(|err| self.place(err))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self).map_err(|err| self.place(err))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(self.items()).map_err(|err| self.place(err))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self.entries(None)).map_err(|err| self.place(err))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(self.entries(Some(fields))).map_err(|err| self.place(err))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Manifests name choices as plain strings (`encryption: customer-key`).
        let variant = match &self.node.value {
            Value::Str(text) if variants.contains(&text.as_str()) => text.as_str(),
            Value::Str(_) => {
                self.invalid_value(&one_of(variants));
                variants.first().copied().unwrap_or_default()
            }
            _ => {
                self.wrong_type(&one_of(variants));
                variants.first().copied().unwrap_or_default()
            }
        };
        let access: de::value::StrDeserializer<'_, Error> = variant.into_deserializer();
        visitor.visit_enum(access).map_err(|err| self.place(err))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A mapping's entries; for a struct, `fields` are the names it has, and `added` the
/// fields a mended document adds.
struct Entries<'de, 't, 'p> {
    entries: std::slice::Iter<'de, Entry>,
    added: std::slice::Iter<'p, &'static str>,
    fields: Option<&'static [&'static str]>,
    /// The entry whose key was read: its value comes next.
    pending: Option<(&'de str, &'de Node, bool)>,
    parent: De<'de, 't, 'p>,
}

impl<'de> Entries<'de, '_, '_> {
    /// The next entry to read: neither left out nor, for a struct, unknown.
    fn next_entry(&mut self) -> Option<&'de Entry> {
        for entry in self.entries.by_ref() {
            if self.parent.pass.edits.pruned(&entry.value) {
                continue;
            }
            if let Some(fields) = self.fields
                && !fields.contains(&entry.key.as_str())
            {
                report_unknown(&self.parent, entry, fields);
                continue;
            }
            return Some(entry);
        }
        None
    }
}

/// Reports a key the struct read by `parent` does not have; reading skips it.
fn report_unknown(parent: &De<'_, '_, '_>, entry: &Entry, fields: &'static [&'static str]) {
    if parent.made_up {
        return;
    }
    let path = parent.trail.path().key(entry.key.as_str());
    let (message, hint) = unknown_field(&path, &entry.key, fields);
    let diagnostic = Diagnostic::error(DiagnosticKind::UnknownField, path, message).with_hint(hint);
    parent.pass.found.borrow_mut().push(at(diagnostic, entry.key_at));
}

impl<'de> MapAccess<'de> for Entries<'de, '_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let (key, node, made_up, key_at) = match self.next_entry() {
            Some(entry) => (entry.key.as_str(), &entry.value, self.parent.made_up, entry.key_at),
            None => match self.added.next() {
                Some(field) => (*field, &MADE_UP, true, self.parent.node.at),
                None => return Ok(None),
            },
        };
        self.pending = Some((key, node, made_up));
        let key_de: de::value::BorrowedStrDeserializer<'de, Error> = de::value::BorrowedStrDeserializer::new(key);
        seed.deserialize(key_de).map(Some).map_err(|mut err| {
            if err.0.place.is_none() {
                err.0.place = Some((self.parent.trail.path().key(key), key_at));
                err.0.quiet = made_up;
            }
            err.or_prune(node)
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, node, made_up)) = self.pending.take() else {
            return Err(de::Error::custom("a value without a key"));
        };
        let trail = Trail::Key(self.parent.trail, key);
        let de = De { node, trail: &trail, pass: self.parent.pass, made_up };
        // An error the value's type raises after reading it is placed here too.
        seed.deserialize(de).map_err(|err| de.place(err).or_prune(node))
    }
}

/// A sequence's items, with their indexes as written (left-out items keep their place).
struct Items<'de, 't, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
    parent: De<'de, 't, 'p>,
}

impl<'de> SeqAccess<'de> for Items<'de, '_, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        let Some((index, node)) = self.items.by_ref().find(|(_, node)| !self.parent.pass.edits.pruned(node)) else {
            return Ok(None);
        };
        let trail = Trail::Index(self.parent.trail, index);
        let de = De { node, trail: &trail, pass: self.parent.pass, made_up: self.parent.made_up };
        seed.deserialize(de).map(Some).map_err(|err| de.place(err).or_prune(node))
    }
}

#[cfg(test)]
mod tests;
