//! Every good fixture (one domain each, together one repo) synthesizes to its snapshot template; every bad fixture is rejected
//! with its snapshot diagnostics (file, line, column, field, hint).

use fanout_tests::{case_name, cases, fixtures_dir, load_case, render};

#[test]
fn good_fixtures_synthesize_to_their_snapshots() {
    // The good fixtures form one repo, so cross-domain cases work as in a real repo.
    let (project, diagnostics) = load_case(&fixtures_dir().join("good"));
    assert!(!diagnostics.has_errors(), "the good fixtures have errors:\n{}", render(&diagnostics));
    insta::assert_snapshot!("good__warnings", render(&diagnostics));
    let project = project.expect("no errors, so a project");
    assert_eq!(project.domains.len(), cases("good").len(), "one domain per fixture file");
    let stage = &project.settings.stages[0];
    for domain in project.domains.values() {
        let template = fanout::synth(&project, domain, stage).to_json();
        insta::assert_snapshot!(format!("good__{}", domain.name), template);
    }
}

#[test]
fn bad_fixtures_are_rejected_with_located_diagnostics() {
    for case in cases("bad") {
        let name = case_name(&case);
        let (project, diagnostics) = load_case(&case);
        assert!(project.is_none(), "{name} was accepted");
        assert!(diagnostics.has_errors(), "{name} has no error");
        for diagnostic in &diagnostics {
            let location = diagnostic
                .location
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: a diagnostic has no location: {diagnostic}"));
            assert!(location.line >= 1 && location.column >= 1, "{name}: {diagnostic}");
            assert!(diagnostic.hint.is_some(), "{name}: a diagnostic has no hint: {diagnostic}");
        }
        insta::assert_snapshot!(format!("bad__{name}"), render(&diagnostics));
    }
}
