//! Every error code the sources can answer is in `shared::error::ERROR_CODES`
//! (and so in the OpenAPI document's `x-error-codes`), and so is every code of
//! SPEC §4.

use std::collections::BTreeSet;

/// UPPER_SNAKE literals that are not error codes: settings, alert kinds, names.
fn not_a_code(s: &str) -> bool {
    [
        "YAOJIAN_",
        "DATABASE_",
        "REDIS_URL",
        "REDIS_KEY",
        "AWS_",
        "FC_",
        "CARGO_",
        "TEST_",
    ]
    .iter()
    .any(|p| s.starts_with(p))
        || [
            "WECHAT_APPID",
            "WECHAT_SECRET",
            "WECHAT_API_BASE",
            "WECHAT_TIMEOUT_SECS",
            "SCREAMING_SNAKE_CASE",
            "ICC_PROFILE",
        ]
        .contains(&s)
        || [
            "MINOR_ATTEMPT",
            "WINDOW_LIMIT",
            "MULTI_PHARMACY",
            "SYNC_LAG",
            "DEAD_LETTER",
        ]
        .contains(&s)
}

fn literals(dir: &std::path::Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            literals(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                let upper_snake = piece.len() > 3
                    && piece.contains('_')
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && piece.starts_with(|c: char| c.is_ascii_uppercase());
                if upper_snake && !not_a_code(piece) {
                    out.insert(piece.to_owned());
                }
            }
        }
    }
}

#[test]
fn every_code_used_is_listed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    for dir in ["shared/src", "functions/src", "mobile-api/src", "src"] {
        literals(&root.join(dir), &mut used);
    }
    let listed: BTreeSet<String> = shared::error::ERROR_CODES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let missing: Vec<_> = used.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "codes used but not in ERROR_CODES: {missing:?}"
    );
    assert_eq!(
        listed.len(),
        shared::error::ERROR_CODES.len(),
        "ERROR_CODES has duplicates"
    );
}

#[test]
fn the_openapi_document_lists_every_code() {
    let doc = yaojian::app::openapi_document(&yaojian::app::all_groups());
    assert_eq!(
        doc["x-error-codes"].as_array().unwrap().len(),
        shared::error::ERROR_CODES.len()
    );
}
