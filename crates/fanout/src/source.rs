//! Positions of fields in a YAML manifest, so diagnostics can point at a line and column.
//!
//! serde does not keep positions, so the text is read once more as YAML events and every
//! key and value is recorded under its [`FieldPath`].

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostic::FieldPath;

/// Line and column (both from 1) of every key and value in a YAML document.
#[derive(Debug, Default)]
pub struct SourceMap {
    keys: HashMap<FieldPath, (usize, usize)>,
    values: HashMap<FieldPath, (usize, usize)>,
}

impl SourceMap {
    /// Reads the positions of `text`'s first document; a malformed document gives the
    /// positions read up to the error (serde reports the error itself).
    pub fn parse(text: &str) -> Self {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        // Event by event rather than `Parser::load`, which recurses once per nesting level
        // and overflows the stack on pathological input.
        while let Ok((event, marker)) = parser.next_token() {
            if event == Event::StreamEnd {
                break;
            }
            walker.on_event(event, marker);
        }
        walker.map
    }

    /// Where the field at `path` is written: its key, or else its value; a field that is
    /// not written falls back to the nearest enclosing one.
    pub fn locate(&self, path: &FieldPath) -> Option<(usize, usize)> {
        let mut path = path.clone();
        loop {
            if let Some(position) = self.keys.get(&path).or_else(|| self.values.get(&path)) {
                return Some(*position);
            }
            if path.is_root() {
                return None;
            }
            path = path.parent();
        }
    }
}

/// Deeper than this, positions are not recorded: no manifest field is this deep, and the
/// YAML reader rejects such documents anyway. It keeps pathological input linear.
const MAX_DEPTH: usize = 64;

enum Frame {
    Map { path: FieldPath, key: Option<String> },
    Seq { path: FieldPath, index: usize },
    TooDeep,
}

#[derive(Default)]
struct Walker {
    map: SourceMap,
    stack: Vec<Frame>,
    depth_in_document: usize,
}

impl Walker {
    /// The path of the next value, or `None` when the next scalar is a mapping key.
    fn next_value_path(&self) -> Option<FieldPath> {
        match self.stack.last() {
            None => Some(FieldPath::root()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key: Some(key) }) => Some(path.key(key.clone())),
            Some(Frame::Seq { path, index }) => Some(path.index(*index)),
            Some(Frame::TooDeep) => None,
        }
    }

    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index, .. }) => *index += 1,
            Some(Frame::TooDeep) | None => {}
        }
    }

    fn value_started(&mut self, marker: Marker) -> Option<FieldPath> {
        let path = self.next_value_path()?;
        self.map.values.entry(path.clone()).or_insert(position(marker));
        Some(path)
    }
}

fn position(marker: Marker) -> (usize, usize) {
    (marker.line(), marker.col() + 1)
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, event: Event, marker: Marker) {
        match event {
            Event::DocumentStart => self.depth_in_document += 1,
            Event::Scalar(value, ..) => {
                if self.depth_in_document > 1 {
                    return;
                }
                if let Some(Frame::Map { path, key: key @ None }) = self.stack.last_mut() {
                    self.map.keys.entry(path.key(value.clone())).or_insert(position(marker));
                    // A block mapping's start marker lies past its first key; the key is
                    // where a reader sees the mapping begin.
                    self.map.values.entry(path.clone()).or_insert(position(marker));
                    *key = Some(value);
                } else {
                    self.value_started(marker);
                    self.value_done();
                }
            }
            Event::Alias(_) => {
                self.value_started(marker);
                self.value_done();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.stack.push(Frame::TooDeep);
            }
            Event::MappingStart(..) => {
                // A mapping used as a key has no field path; its contents are not recorded.
                let path = self.next_value_path().unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.value_started(marker).unwrap_or_default();
                self.stack.push(Frame::Seq { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keys_values_and_sequence_items() {
        let text = "domain: a\nqueues:\n  inbox:\n    subscriptions:\n      - topic: b/c\n        raw_message_delivery: true\n";
        let map = SourceMap::parse(text);
        let queues = FieldPath::root().key("queues");
        assert_eq!(map.locate(&FieldPath::root().key("domain")), Some((1, 1)));
        let sub = queues.key("inbox").key("subscriptions").index(0);
        assert_eq!(map.locate(&sub.key("topic")), Some((5, 9)));
        assert_eq!(map.locate(&sub.key("raw_message_delivery")), Some((6, 9)));
        // A field that is not written points at the nearest written parent.
        assert_eq!(map.locate(&sub.key("filter")), Some((5, 9)));
    }
}
