//! The shape of the code, as `docs/ADDING_A_GROUP.md` describes it: group
//! crates depend on `shared` only, modules import each other without
//! cycles, and the enums that stand for a database column's values list
//! exactly the values its check constraint allows.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use crate::helpers::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `[dependencies]` names of a crate's manifest.
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let mut in_deps = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && let Some((name, _)) = line.split_once(['=', '.']) {
            out.insert(name.trim().to_owned());
        }
    }
    assert!(!out.is_empty(), "{manifest} lists no dependencies");
    out
}

#[test]
fn group_crates_depend_on_shared_only() {
    for (manifest, others) in [
        ("functions/Cargo.toml", ["mobile-api", "yaojian"]),
        ("mobile-api/Cargo.toml", ["functions", "yaojian"]),
    ] {
        let deps = dependencies(manifest);
        assert!(deps.contains("shared"), "{manifest} does not use shared");
        for other in others {
            assert!(
                !deps.contains(other),
                "{manifest} depends on the group crate `{other}`"
            );
        }
    }
}

/// A crate's modules by path (`registrations::record`), from its files.
fn modules(crate_name: &str, src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>, krate: &str) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(stem);
                walk(&path, &p, out, krate);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut p = prefix.to_vec();
                if !matches!(stem.as_str(), "mod" | "lib" | "main") {
                    p.push(stem);
                }
                let name = std::iter::once(krate.to_owned())
                    .chain(p)
                    .collect::<Vec<_>>()
                    .join("::");
                out.insert(name, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out, crate_name);
    out
}

/// The paths a file names through `crate::` or `super::`, as module paths
/// (`use super::{a, b::c}` names `super::a` and `super::b`).
fn named_paths(text: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (start, _) in text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
    {
        if start > 0 && text[..start].ends_with(ident) {
            continue;
        }
        let rest = &text[start..];
        let mut segs = Vec::new();
        let mut i = 0;
        loop {
            let seg: String = rest[i..].chars().take_while(|&c| ident(c)).collect();
            if seg.is_empty() {
                break;
            }
            i += seg.len();
            segs.push(seg);
            if rest[i..].starts_with("::") {
                i += 2;
            } else {
                break;
            }
        }
        if rest[i..].starts_with('{') {
            let inner = &rest[i + 1..rest[i..].find('}').map_or(rest.len(), |e| i + e)];
            for item in inner.split(',') {
                let first: String = item.trim().chars().take_while(|&c| ident(c)).collect();
                if !first.is_empty() && first != "self" {
                    let mut p = segs.clone();
                    p.push(first);
                    out.push(p);
                }
            }
        }
        out.push(segs);
    }
    out
}

/// Resolves `crate::a::b` / `super::a` from module `from` to the deepest
/// module of `known` it names.
fn resolve(from: &str, path: &[String], krate: &str, known: &BTreeSet<String>) -> Option<String> {
    let mut base: Vec<String> = from.split("::").map(str::to_owned).collect();
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            base = vec![krate.to_owned()];
            segs.next();
        }
        Some("super") => {
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                base.pop();
                segs.next();
            }
        }
        _ => return None,
    }
    let mut best = None;
    for seg in segs {
        base.push(seg.clone());
        let name = base.join("::");
        if known.contains(&name) {
            best = Some(name);
        } else {
            break;
        }
    }
    best
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Edges from each module to the modules it imports (a module naming its
/// own ancestors — the group's declaration in `mod.rs` — does not count).
fn import_graph(krate: &str, src: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(krate, &root().join(src));
    assert!(mods.len() > 3, "no modules found under {src}");
    let known: BTreeSet<String> = mods.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        for path in named_paths(&text) {
            if let Some(to) = resolve(name, &path, krate, &known)
                && to != *name
                && !name.starts_with(&format!("{to}::"))
                && to != krate
            {
                edges.entry(name.clone()).or_default().insert(to);
            }
        }
        edges.entry(name.clone()).or_default();
    }
    edges
}

#[test]
fn modules_import_each_other_without_cycles() {
    for (krate, src) in [
        ("shared", "shared/src"),
        ("functions", "functions/src"),
        ("mobile_api", "mobile-api/src"),
        ("yaojian", "src"),
    ] {
        let edges = import_graph(krate, src);
        if let Some(cycle) = find_cycle(&edges) {
            panic!("import cycle in {krate}: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let known: BTreeSet<String> = ["f::x", "f::x::y", "f::z"].map(String::from).into();
    let p = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    assert_eq!(
        resolve("f::x::y", &p("super::super::z::Thing"), "f", &known),
        Some("f::z".into())
    );
    assert_eq!(
        resolve("f::z", &p("crate::x::y::f"), "f", &known),
        Some("f::x::y".into())
    );
    assert_eq!(
        named_paths("use super::{a, b::c, self};"),
        vec![p("super::a"), p("super::b"), p("super")]
    );
}

/// The values a check constraint `column IN (...)` allows.
async fn check_values(app: &TestApp, constraint: &str) -> BTreeSet<String> {
    let def: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
    )
    .bind(constraint)
    .fetch_one(&app.db)
    .await
    .unwrap();
    def.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn alert_kinds_match_the_database() {
    let app = spawn_app().await;
    let db = check_values(&app, "alert_kind_check").await;
    let code: BTreeSet<String> = shared::alerts::AlertKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(code, db);
}

/// The README's group table is what the registry says.
#[test]
fn the_readme_group_table_is_the_registry() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let (_, rest) = readme
        .split_once("<!-- groups:begin -->\n")
        .expect("README.md has no groups:begin marker");
    let (table, _) = rest
        .split_once("<!-- groups:end -->")
        .expect("README.md has no groups:end marker");
    assert!(
        table == yaojian::app::groups_table(),
        "README.md's group table is out of date: paste `cargo run -- groups --markdown` between the markers"
    );
}

/// The repository's text files (sources, docs, scripts, manifests), without
/// what is built or installed.
fn repository_text_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    ".git" | "target" | "node_modules" | "dist" | "data" | ".schemathesis"
                ) {
                    walk(&path, out);
                }
            } else if [
                ".rs", ".md", ".sql", ".ts", ".js", ".json", ".toml", ".yaml", ".yml", ".sh",
            ]
            .iter()
            .any(|e| name.ends_with(e))
                || path.parent().is_some_and(|p| p.ends_with("scripts"))
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root(), &mut out);
    out
}

/// Every "SPEC §N" a file cites is a section of docs/SPEC.md, and no file
/// points outside the clone.
#[test]
fn the_repository_stands_alone() {
    let spec = std::fs::read_to_string(root().join("docs/SPEC.md"))
        .expect("docs/SPEC.md is the repository's specification");
    let sections: BTreeSet<String> = spec
        .lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|n| n.trim_end_matches('.').to_owned())
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(sections.contains("4.2") && sections.contains("13"));
    let files = repository_text_files();
    assert!(files.len() > 100, "only {} files found", files.len());
    let mut cited = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rel = file.strip_prefix(root()).unwrap().display().to_string();
        // (Spelled in pieces so that this file does not name them itself.)
        for outside in [concat!("../", "shared"), concat!("/wo", "rk/")] {
            assert!(
                !text.contains(outside),
                "{rel} names `{outside}`, outside the clone"
            );
        }
        for (at, _) in text.match_indices("SPEC §") {
            let number: String = text[at + "SPEC §".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            if number.is_empty() {
                continue; // this file's own "SPEC §" pattern
            }
            cited += 1;
            assert!(
                sections.contains(number),
                "{rel} cites SPEC §{number}, which docs/SPEC.md does not have"
            );
        }
    }
    assert!(cited > 50, "only {cited} citations found");
}

/// A value an enumerated column does not allow decodes as an error, never as
/// some default variant.
#[tokio::test]
async fn enumerated_columns_refuse_unknown_values() {
    let app = spawn_app().await;
    async fn decode<T>(app: &TestApp, value: &str) -> Result<T, sqlx::Error>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        sqlx::query_scalar::<_, T>("SELECT $1::text")
            .bind(value)
            .fetch_one(&app.db)
            .await
    }
    use shared::{alerts::AlertKind, auth::Role, sales::Source};
    assert_eq!(
        decode::<Source>(&app, "ss_card").await.unwrap(),
        Source::SsCard
    );
    assert!(decode::<Source>(&app, "passport").await.is_err());
    assert_eq!(
        decode::<Role>(&app, "city_admin").await.unwrap(),
        Role::CityAdmin
    );
    assert!(decode::<Role>(&app, "root").await.is_err());
    assert!(decode::<AlertKind>(&app, "MINOR_ATTEMPT").await.is_ok());
    assert!(decode::<AlertKind>(&app, "minor_attempt").await.is_err());
}
