//! Every function group has a deploy entry on both platforms, and every
//! deploy entry names a group (or job) that exists.

use std::collections::BTreeSet;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn groups() -> BTreeSet<String> {
    yaojian::app::all_groups()
        .into_iter()
        .map(|g| g.name.to_owned())
        .collect()
}

/// The token after each `marker` in `text`, quotes and spaces trimmed.
fn after(text: &str, marker: &str) -> BTreeSet<String> {
    text.split(marker)
        .skip(1)
        .map(|rest| {
            rest.trim_start_matches(['"', ',', ' '])
                .split(['"', '\n', ' ', ']'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn aliyun_function_compute_deploys_every_group() {
    let s = read("deploy/functions/aliyun/s.yaml");
    assert_eq!(
        after(&s, "\"--only\""),
        groups(),
        "s.yaml `serve --only` entries vs the code's function groups"
    );
    for job in after(&s, "\"serve-job\"") {
        assert_job(&job);
    }
}

#[test]
fn tencent_scf_deploys_every_group() {
    let s = read("deploy/functions/tencent/serverless.yml");
    assert_eq!(
        after(&s, "YAOJIAN_GROUP:"),
        groups(),
        "serverless.yml YAOJIAN_GROUP entries vs the code's function groups"
    );
    for job in after(&s, "YAOJIAN_JOB:") {
        assert_job(&job);
    }
    assert!(read("deploy/functions/tencent/scf_bootstrap").contains("serve --only"));
}

fn assert_job(spec: &str) {
    match spec.split_once(':') {
        Some(("jobs", name)) => assert!(
            functions::jobs::JOBS.iter().any(|(n, _)| *n == name),
            "unknown job {name}"
        ),
        Some(("sync", target)) => assert!(!target.is_empty()),
        _ => panic!("malformed job {spec}"),
    }
}
