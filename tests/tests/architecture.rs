//! The core's modules form no import circle (ARCHITECTURE.md): a module may use the modules
//! below it and its own child modules, never a module that uses it back.

// Test support: a source folder that cannot be read fails the test.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("the source folder is readable") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The top-level modules `source` names through `crate::`, outside comments and tests.
fn used_modules(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut used = BTreeSet::new();
    for line in code.lines().filter(|line| !line.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            // `crate::{a::X, b}` names several; `crate::a::X` one.
            let names = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or_default().split(',').collect(),
                None => vec![rest],
            };
            for name in names {
                let module: String = name.trim().chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if !module.is_empty() {
                    used.insert(module);
                }
            }
        }
    }
    used
}

#[test]
fn the_core_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/fanout/src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
        let module = module.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        graph.entry(module.clone()).or_default().extend(used_modules(&text).into_iter().filter(|m| *m != module));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    assert!(modules.len() > 10, "too few modules found: {modules:?}");
    for edges in graph.values_mut() {
        edges.retain(|m| modules.contains(m));
    }
    // Every module that reaches itself through its imports is in a circle.
    for start in &modules {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((module, trail)) = stack.pop() {
            for next in &graph[&module] {
                let mut trail = trail.clone();
                trail.push(next.clone());
                assert!(next != start, "import circle: {}", trail.join(" → "));
                if seen.insert(next.clone()) {
                    stack.push((next.clone(), trail));
                }
            }
        }
    }
}

#[test]
fn used_modules_reads_paths_and_groups_outside_comments() {
    let source = "use crate::model::Domain;\nuse crate::{name::Name, synth};\n// crate::project\nfn f() { crate::load::x() }\n#[cfg(test)]\nmod tests { use crate::graph; }\n";
    let used: Vec<String> = used_modules(source).into_iter().collect();
    assert_eq!(used, ["load", "model", "name", "synth"]);
}
