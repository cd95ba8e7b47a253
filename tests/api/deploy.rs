//! The manifests deploy exactly the registry's groups and jobs (they are
//! rendered from it); the binary fits the C library of every runtime the
//! manifests deploy it on, and the deployed build carries no debug info.

use std::path::Path;
use std::process::Command;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// The committed manifests are what the registry renders: every group has
/// its HTTP function (with its declared memory), every job and the example
/// sync target their timer, and nothing else is deployed.
#[test]
fn the_manifests_are_rendered_from_the_registry() {
    let groups = yaojian::app::all_groups();
    let jobs = yaojian::groups::jobs();
    let targets = yaojian::deploy::EXAMPLE_SYNC_TARGETS;
    for (path, rendered) in [
        (
            yaojian::deploy::ALIYUN,
            yaojian::deploy::aliyun(&groups, &jobs, targets),
        ),
        (
            yaojian::deploy::TENCENT,
            yaojian::deploy::tencent(&groups, &jobs, targets),
        ),
    ] {
        let committed = read(path);
        assert!(
            committed == rendered,
            "{path} is out of date: run `cargo run -- deploy-manifests` and commit it"
        );
        for g in &groups {
            assert!(
                committed.contains(&format!("yaojian-{}\n", g.name)),
                "{path}: no {}",
                g.name
            );
        }
        for j in &jobs {
            assert!(
                committed.contains(&format!("jobs:{}", j.name)),
                "{path}: no job {}",
                j.name
            );
        }
    }
}

/// A glibc version, `2.34` as `[2, 34, 0]`; arrays compare element by element,
/// so 2.34 > 2.4 and 2.2.5 < 2.3.
type Version = [u32; 3];

/// The glibc each runtime a manifest may name provides. A runtime missing here
/// fails the test: look its C library up and add it here and in
/// deploy/functions/build.sh.
const RUNTIME_GLIBC: &[(&str, &str)] = &[
    // Alibaba Cloud Function Compute custom runtimes: Debian 9, 10, 11, 12.
    ("custom", "2.24"),
    ("custom.debian10", "2.28"),
    ("custom.debian11", "2.31"),
    ("custom.debian12", "2.36"),
    // Base images of the Tencent SCF image (tencent/Dockerfile): Debian 12.
    ("debian:bookworm-slim", "2.36"),
];

fn parse_version(text: &str) -> Option<Version> {
    let mut version = [0; 3];
    let mut parts = text.split('.');
    for (i, slot) in version.iter_mut().enumerate() {
        match parts.next() {
            Some(part) => *slot = part.parse::<u32>().ok()?,
            None if i >= 2 => break,
            None => return None,
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(version)
}

fn show(v: Version) -> String {
    match v {
        [major, minor, 0] => format!("{major}.{minor}"),
        [major, minor, patch] => format!("{major}.{minor}.{patch}"),
    }
}

/// Every `GLIBC_x.y[.z]` symbol version in `objdump -T` output, as in
/// `0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.34) __libc_start_main`;
/// `GLIBC_PRIVATE` and the like are not versions and are left out.
fn glibc_versions(dynamic_symbols: &str) -> Vec<Version> {
    dynamic_symbols
        .split("GLIBC_")
        .skip(1)
        .filter_map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            parse_version(rest[..end].trim_end_matches('.'))
        })
        .collect()
}

/// The newest glibc symbol version `binary` needs; `None` for a binary that
/// needs none (a static one).
fn highest_glibc_required(binary: &Path) -> Option<Version> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `objdump -T {}`: {e}; this test needs objdump (apt-get install binutils)",
                binary.display()
            )
        });
    assert!(
        out.status.success(),
        "`objdump -T {}` failed: {}",
        binary.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    glibc_versions(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .max()
}

fn runtime_glibc(runtime: &str) -> Version {
    let (_, version) = RUNTIME_GLIBC
        .iter()
        .find(|(name, _)| *name == runtime)
        .unwrap_or_else(|| {
            panic!(
                "runtime `{runtime}` is not in RUNTIME_GLIBC; look up its glibc version and add it"
            )
        });
    parse_version(version).unwrap()
}

/// The value of every `key:` line in a YAML file, comments and quotes removed.
fn yaml_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .map(|value| value.trim().trim_matches(['"', '\'']).to_owned())
        .collect()
}

/// The image the last `FROM` of a Dockerfile names (the stage that runs),
/// without `--platform=` flags, `AS name` or an `@sha256:` digest.
fn dockerfile_base(text: &str) -> String {
    let from = text
        .lines()
        .map(str::trim)
        .rfind(|line| {
            line.get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case("FROM "))
        })
        .expect("tencent/Dockerfile has no FROM line");
    let image = from
        .split_whitespace()
        .skip(1)
        .find(|token| !token.starts_with("--"))
        .unwrap_or_else(|| panic!("`{from}` names no image"));
    image.split('@').next().unwrap_or(image).to_owned()
}

#[test]
fn glibc_versions_are_read_from_objdump_and_compared_as_numbers() {
    let dump = "\
/usr/bin/ls:     file format elf64-x86-64

DYNAMIC SYMBOL TABLE:
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.3)  __ctype_toupper_loc
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.2.5) getenv
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.34) __libc_start_main
0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.4)  __stack_chk_fail
0000000000000000      DO *UND*	0000000000000000 (GLIBC_PRIVATE) _dl_argv
0000000000000000      DF *UND*	0000000000000000 (GLIBCXX_3.4.29) _ZSt9terminatev
0000000000000000  w   D  *UND*	0000000000000000  Base        __gmon_start__
";
    let versions = glibc_versions(dump);
    assert_eq!(versions.len(), 4, "{versions:?}");
    assert_eq!(versions.into_iter().max(), Some([2, 34, 0]));
    assert!(parse_version("2.34") > parse_version("2.4"));
    assert!(parse_version("2.2.5") < parse_version("2.3"));
    assert_eq!(parse_version("2"), None);
    assert_eq!(parse_version("2.x"), None);
    assert!(glibc_versions("DYNAMIC SYMBOL TABLE:\nno symbols\n").is_empty());
}

/// The binary is the one cargo built for this test run; the deployed `dist`
/// build links the same standard library and C code, and
/// deploy/functions/build.sh repeats this check on it before packaging.
#[test]
fn the_binary_fits_every_runtime_it_is_deployed_on() {
    let binary = Path::new(env!("CARGO_BIN_EXE_yaojian"));
    let needed = highest_glibc_required(binary);

    let mut runtimes = Vec::new();
    let aliyun = yaml_values(&read("deploy/functions/aliyun/s.yaml"), "runtime");
    assert!(!aliyun.is_empty(), "aliyun/s.yaml names no runtime");
    for runtime in aliyun {
        runtimes.push(("aliyun/s.yaml", runtime));
    }

    let tencent = read("deploy/functions/tencent/serverless.yml");
    assert!(
        !yaml_values(&tencent, "imageUrl").is_empty(),
        "tencent/serverless.yml must deploy the image built from tencent/Dockerfile \
         (image.imageUrl): a zip package runs on SCF's own runtime, whose glibc \
         RUNTIME_GLIBC does not know"
    );
    let dockerfile = read("deploy/functions/tencent/Dockerfile");
    assert!(
        dockerfile.contains("scf_bootstrap"),
        "the Tencent image must start scf_bootstrap"
    );
    runtimes.push(("tencent/Dockerfile", dockerfile_base(&dockerfile)));

    for (manifest, runtime) in &runtimes {
        let provides = runtime_glibc(runtime);
        if let Some(needed) = needed {
            assert!(
                needed <= provides,
                "{} needs GLIBC_{}, but {runtime} (named in {manifest}) has glibc {}",
                binary.display(),
                show(needed),
                show(provides)
            );
        }
    }
}

/// The lines of one `[section]` of a TOML file, comments and blank lines removed.
fn toml_section<'a>(text: &'a str, header: &str) -> Option<Vec<&'a str>> {
    let mut lines = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim());
    lines.by_ref().find(|line| *line == header)?;
    Some(
        lines
            .take_while(|line| !line.starts_with('['))
            .filter(|line| !line.is_empty())
            .collect(),
    )
}

#[test]
fn the_deployed_binary_is_built_without_debug_info() {
    let script = read("deploy/functions/build.sh");
    let builds: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("cargo build"))
        .collect();
    assert_eq!(
        builds.len(),
        1,
        "build.sh should run one `cargo build`: {builds:?}"
    );
    assert!(
        builds[0].contains("--profile dist") && builds[0].contains("--bin yaojian"),
        "build.sh must build `yaojian` with the dist profile: {}",
        builds[0]
    );
    assert!(
        script.contains("target}/dist/yaojian"),
        "build.sh must package the dist build"
    );

    let cargo = read("Cargo.toml");
    let dist = toml_section(&cargo, "[profile.dist]")
        .expect("Cargo.toml has no [profile.dist] for build.sh to build");
    let settings: Vec<String> = dist
        .iter()
        .map(|line| line.replace([' ', '\t'], ""))
        .collect();
    let set = |wanted: &str| settings.iter().any(|s| s == wanted);
    assert!(
        set("debug=false")
            || set("debug=0")
            || set("debug=\"none\"")
            || set("strip=true")
            || set("strip=\"debuginfo\"")
            || set("strip=\"symbols\""),
        "[profile.dist] must turn debug info off (debug = false) or strip it: {dist:?}"
    );
}
