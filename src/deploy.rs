//! The serverless manifests of `deploy/functions/`, rendered from the
//! registry (`yaojian deploy-manifests`): one HTTP function per group with the
//! memory its declaration asks for, one timer-triggered function per job (its
//! declared schedule) and per sync target. A test renders them and compares
//! with the committed files, so a new group or job cannot be left undeployed.

use std::fmt::Write;

use shared::group::{FunctionGroup, Job};

/// The sync targets the committed manifests run (the README's example).
pub const EXAMPLE_SYNC_TARGETS: &[&str] = &["wuhan-dc"];

/// How often a sync target's function runs.
const SYNC_SCHEDULE: &str = "0 */1 * * * *";

/// Where the rendered files live, relative to the repository.
pub const ALIYUN: &str = "deploy/functions/aliyun/s.yaml";
pub const TENCENT: &str = "deploy/functions/tencent/serverless.yml";

/// A timer-triggered function: `serve-job SPEC` on `schedule`.
struct Timer {
    /// `job-retention`, `sync-wuhan-dc`.
    name: String,
    /// `jobs:retention`, `sync:wuhan-dc`.
    spec: String,
    schedule: &'static str,
}

fn timers(jobs: &[Job], sync_targets: &[&str]) -> Vec<Timer> {
    let sync = sync_targets.iter().map(|t| Timer {
        name: format!("sync-{t}"),
        spec: format!("sync:{t}"),
        schedule: SYNC_SCHEDULE,
    });
    let jobs = jobs.iter().map(|j| Timer {
        name: format!("job-{}", j.name),
        spec: format!("jobs:{}", j.name),
        schedule: j.schedule,
    });
    sync.chain(jobs).collect()
}

const ALIYUN_HEAD: &str = r#"# Alibaba Cloud Function Compute 3.0, for Serverless Devs (`s deploy`).
# One function per function group, each running `yaojian serve --only GROUP`
# in a custom runtime; timer-triggered functions run sync and jobs through
# `yaojian serve-job`. Build the package first: ../build.sh (it writes
# ./yaojian.zip: the binary and yaojian.toml, unpacked under /code).
# The binary links glibc dynamically and needs up to the build machine's
# version (Debian 12: 2.36), hence custom.debian12 (Debian 12, glibc 2.36);
# custom.debian10 has 2.28. build.sh and tests/api/deploy.rs check the runtime
# named here. custom.debian12 is offered in cn-hangzhou, cn-qingdao,
# cn-beijing, cn-zhangjiakou, cn-huhehaote and cn-chengdu (public preview).
# Settings come from the environment below; secrets should be referenced from
# KMS / ${env(...)} rather than written here.
edition: 3.0.0
name: yaojian
access: default

vars:
  region: cn-hangzhou
  env:
    DATABASE_URL: ${env(DATABASE_URL)}
    REDIS_URL: ${env(REDIS_URL)}
    WECHAT_APPID: ${env(WECHAT_APPID)}
    WECHAT_SECRET: ${env(WECHAT_SECRET)}
    YAOJIAN_MASTER_KEY: ${env(YAOJIAN_MASTER_KEY)}
    YAOJIAN_STORAGE_URL: ${env(YAOJIAN_STORAGE_URL)}
    YAOJIAN_CONFIG: /code/yaojian.toml
    DATABASE_MAX_CONNECTIONS: "8"

template:
  yaojian_function:
    region: ${vars.region}
    runtime: custom.debian12
    code: ./yaojian.zip
    handler: index.handler
    memorySize: 256
    cpu: 0.25
    diskSize: 512
    timeout: 30
    instanceConcurrency: 50
    environmentVariables: ${vars.env}

resources:
"#;

/// `aliyun/s.yaml` (Alibaba Cloud Function Compute 3.0, Serverless Devs).
pub fn aliyun(groups: &[FunctionGroup], jobs: &[Job], sync_targets: &[&str]) -> String {
    let mut out = ALIYUN_HEAD.to_owned();
    for g in groups {
        let _ = write!(
            out,
            r#"  {name}:
    component: fc3
    extend:
      name: yaojian_function
    props:
      functionName: yaojian-{name}
      memorySize: {memory}
      customRuntimeConfig:
        command: ["/code/yaojian"]
        args: ["serve", "--only", "{name}"]
        port: 9000
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS]

"#,
            name = g.name,
            memory = g.deploy.memory_mb,
        );
    }
    for t in timers(jobs, sync_targets) {
        let _ = write!(
            out,
            r#"  {name}:
    component: fc3
    extend:
      name: yaojian_function
    props:
      functionName: yaojian-{name}
      timeout: 600
      instanceConcurrency: 1
      customRuntimeConfig:
        command: ["/code/yaojian"]
        args: ["serve-job", "{spec}"]
        port: 9000
      triggers:
        - triggerName: timer
          triggerType: timer
          triggerConfig:
            cronExpression: "{schedule}"
            enable: true
            payload: "{{}}"

"#,
            name = t.name,
            spec = t.spec,
            schedule = t.schedule,
        );
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

const TENCENT_HEAD: &str = r#"# Tencent Cloud SCF web functions (Serverless Framework, multi-scf component).
# Every function runs the same container image, built from ./Dockerfile
# (debian:bookworm-slim, glibc 2.36, which the dynamically linked binary fits;
# SCF's own zip runtimes document no glibc version). Its entry point,
# scf_bootstrap, starts `yaojian serve --only $YAOJIAN_GROUP` (or `serve-job
# $YAOJIAN_JOB`) on port 9000. Build and push the image first:
#   YAOJIAN_IMAGE=ccr.ccs.tencentyun.com/NAMESPACE/yaojian:VERSION ../build.sh
#   docker push ccr.ccs.tencentyun.com/NAMESPACE/yaojian:VERSION
# then deploy with YAOJIAN_IMAGE_URL set to the pushed image's
# `REPOSITORY:TAG@sha256:DIGEST`. The `image` below applies to every function.
app: yaojian
stage: ${env:STAGE}
component: multi-scf
name: yaojian

inputs:
  src:
    src: ./
    exclude:
      - code/**
      - .env
  region: ap-guangzhou
  type: web
  image:
    imageType: personal
    imageUrl: ${env:YAOJIAN_IMAGE_URL}
  memorySize: 256
  timeout: 30
  environment:
    variables:
      DATABASE_URL: ${env:DATABASE_URL}
      REDIS_URL: ${env:REDIS_URL}
      WECHAT_APPID: ${env:WECHAT_APPID}
      WECHAT_SECRET: ${env:WECHAT_SECRET}
      YAOJIAN_MASTER_KEY: ${env:YAOJIAN_MASTER_KEY}
      YAOJIAN_STORAGE_URL: ${env:YAOJIAN_STORAGE_URL}
      YAOJIAN_CONFIG: /var/user/yaojian.toml
  functions:
"#;

/// `tencent/serverless.yml` (Tencent Cloud SCF web functions, multi-scf).
pub fn tencent(groups: &[FunctionGroup], jobs: &[Job], sync_targets: &[&str]) -> String {
    let mut out = TENCENT_HEAD.to_owned();
    let timers = timers(jobs, sync_targets);
    for g in groups {
        let _ = write!(
            out,
            r#"    {name}:
      name: yaojian-{name}
      type: web
      memorySize: {memory}
      environment:
        variables:
          YAOJIAN_GROUP: {name}
"#,
            name = g.name,
            memory = g.deploy.memory_mb,
        );
    }
    for t in &timers {
        let _ = write!(
            out,
            r#"    {name}:
      name: yaojian-{name}
      type: web
      timeout: 600
      environment:
        variables:
          YAOJIAN_JOB: "{spec}"
"#,
            name = t.name,
            spec = t.spec,
        );
    }
    out.push_str("  triggers:\n");
    for g in groups {
        let _ = write!(
            out,
            r#"    - type: apigw
      function: {name}
      parameters:
        protocols: [https]
        environment: release
        endpoints:
          - path: /
            method: ANY
"#,
            name = g.name,
        );
    }
    for t in &timers {
        // SCF's cron has a seventh field, the year.
        let _ = write!(
            out,
            r#"    - type: timer
      function: {name}
      parameters:
        name: {name}
        cronExpression: "{schedule} *"
        enable: true
"#,
            name = t.name,
            schedule = t.schedule,
        );
    }
    out
}
