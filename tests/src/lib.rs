//! Helpers shared by the cross-crate tests: reading fixture cases.
//!
//! A fixture case is a manifest file (`tests/fixtures/good/minimal.yaml`) or a folder of
//! manifests with an optional `fanout.yaml` (`tests/fixtures/bad/missing-topic/`).

// Test support: a fixture that cannot be read fails the test that asked for it.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};

use fanout::{Diagnostics, Project, Source};

/// The folder of event schemas beside the manifests of a fixture repo; not a case.
const SCHEMAS_DIR: &str = "schemas";

/// The `tests/fixtures` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The cases in `tests/fixtures/<group>`, sorted by name.
pub fn cases(group: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir().join(group);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.map(|e| e.path()).unwrap_or_default())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
        .filter(|path| path.file_name().is_some_and(|name| name != fanout::load::SETTINGS_FILE && name != SCHEMAS_DIR))
        .collect();
    cases.sort();
    cases
}

/// The name of a case: its file name without extension.
pub fn case_name(case: &Path) -> String {
    case.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string()
}

fn source(path: &Path) -> Source {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    // Paths relative to `tests/fixtures`, so snapshots do not depend on the checkout folder.
    let relative = path.strip_prefix(fixtures_dir()).unwrap_or(path).to_path_buf();
    Source { path: relative, text }
}

/// Loads a case the way the CLI loads a repo.
pub fn load_case(case: &Path) -> (Option<Project>, Diagnostics) {
    if case.is_dir() {
        let settings = case.join("fanout.yaml");
        let settings = settings.is_file().then(|| source(&settings));
        let manifests: Vec<Source> = fanout::load::manifest_paths(case)
            .unwrap_or_default()
            .iter()
            .filter(|path| path.file_name().is_some_and(|name| name != fanout::load::SETTINGS_FILE))
            .map(|path| source(path))
            .collect();
        let lock = case.join(fanout::LOCK_FILE);
        let lock = lock.is_file().then(|| source(&lock));
        Project::from_sources_with_lock(settings.as_ref(), &manifests, &read_schema, lock.as_ref())
    } else {
        Project::from_sources_with_schemas(None, &[source(case)], &read_schema)
    }
}

/// Reads an event schema named relative to `tests/fixtures`, as the sources are.
fn read_schema(path: &Path) -> Option<Result<String, String>> {
    Some(std::fs::read_to_string(fixtures_dir().join(path)).map_err(|err| err.kind().to_string()))
}

/// Diagnostics as the CLI prints them without color, one block each.
pub fn render(diagnostics: &Diagnostics) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect::<Vec<_>>().join("\n")
}
