//! Error codes are typed constants (`shared::codes`): each has a status and a
//! Chinese title, the OpenAPI document publishes exactly them, and the codes
//! the docs name as built (docs/SPEC.md §3–§4) are among them.

use std::collections::BTreeSet;

use shared::codes::{ALL, Code};

#[test]
fn every_code_is_declared_once_with_a_status_and_a_chinese_title() {
    let names: BTreeSet<&str> = ALL.iter().map(|c| c.code).collect();
    assert_eq!(names.len(), ALL.len(), "a code is declared twice");
    for Code {
        code,
        status,
        title,
    } in ALL
    {
        assert!(
            code.len() > 3
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "{code} is not UPPER_SNAKE"
        );
        assert!(
            status.is_client_error() || status.is_server_error(),
            "{code}: {status} is not an error status"
        );
        assert!(
            title
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{code}: title {title:?} is not Chinese"
        );
    }
}

#[test]
fn the_openapi_document_lists_exactly_the_declared_codes() {
    let doc = yaojian::app::openapi_document(&yaojian::app::all_groups());
    let published: BTreeSet<&str> = doc["x-error-codes"]
        .as_array()
        .expect("x-error-codes is an array")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let declared: BTreeSet<&str> = ALL.iter().map(|c| c.code).collect();
    assert_eq!(published, declared);
}

/// Every code docs/SPEC.md names in its sections on conventions and domain
/// rules (§3, §4) is a declared error code or alert kind, unless its
/// sentence says it is planned.
#[test]
fn the_codes_the_spec_names_are_declared() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = std::fs::read_to_string(root.join("docs/SPEC.md"))
        .expect("docs/SPEC.md is the repository's specification");
    let start = spec.find("\n## 3.").expect("docs/SPEC.md has a §3");
    let end = spec.find("\n## 5.").expect("docs/SPEC.md has a §5");
    let mut declared: BTreeSet<&str> = ALL.iter().map(|c| c.code).collect();
    declared.extend(shared::alerts::AlertKind::ALL.iter().map(|k| k.as_str()));
    let mut named = 0;
    // A paragraph marked "not yet built" is skipped whole; elsewhere, a
    // sentence that says "planned", "not yet" or "later".
    let built = spec[start..end]
        .lines()
        .filter(|line| !line.contains("not yet built"));
    for sentence in built.flat_map(|line| line.split(['.', ';'])) {
        if ["planned", "not yet", "not built", "later"]
            .iter()
            .any(|w| sentence.contains(w))
        {
            continue;
        }
        for piece in sentence.split('`').skip(1).step_by(2) {
            let code = piece.trim();
            let looks_like_code = code.len() > 3
                && code.contains('_')
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if looks_like_code && !code.starts_with("YAOJIAN_") {
                named += 1;
                assert!(
                    declared.contains(code),
                    "docs/SPEC.md names `{code}`, which is neither in shared::codes nor an alert kind"
                );
            }
        }
    }
    assert!(named > 10, "docs/SPEC.md §3–§4 name only {named} codes");
}
