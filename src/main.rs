//! `yaojian`: serve the functions, migrate, create an admin, seed the demo,
//! verify the audit chain (SPEC §2). Reads configuration, then calls the library.

use std::{io::Read, net::SocketAddr, process::ExitCode};

use clap::{Parser, Subcommand};
use poem::{Server, listener::TcpListener};
use shared::{
    AppState,
    audit::{self, Action, Entry, Stream},
    auth::password,
    config::Config,
};
use yaojian::{app, fake_wechat::FakeWechat, seed};

#[derive(Parser)]
#[command(
    name = "yaojian",
    version,
    about = "Yaojian 药监: special-drug sales registration, inspection, approvals"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve all function groups, or only those named.
    Serve {
        /// Address to bind. Default: 0.0.0.0 on $PORT, $FC_CUSTOM_LISTEN_PORT or
        /// $FC_SERVER_PORT when one is set, else 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Comma-separated function groups to serve (see `yaojian groups`).
        #[arg(long, value_delimiter = ',')]
        only: Option<Vec<String>>,
        /// Also serve `/metrics` without a token on this (internal) address.
        #[arg(long)]
        metrics_bind: Option<SocketAddr>,
    },
    /// Apply database migrations.
    Migrate,
    /// Create or reset a city admin; password from $YAOJIAN_ADMIN_PASSWORD or stdin.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "市局管理员")]
        name: String,
    },
    /// Idempotent demo data: districts, pharmacies, users; prints how to log in.
    SeedDemo,
    /// Delivery to data centres.
    Sync {
        #[command(subcommand)]
        command: SyncCommand,
    },
    /// Scheduled jobs (`yaojian jobs list`).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The audit chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Approval cases.
    Approvals {
        #[command(subcommand)]
        command: ApprovalsCommand,
    },
    /// Serve one batch job over HTTP for a serverless timer trigger: every
    /// request runs it once (`sync:TARGET` or `jobs:NAME`) and answers the result.
    ServeJob {
        job: String,
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// List the function groups (what `serve --only` and deployments name).
    Groups {
        /// The README's table: operations and the guards they take.
        #[arg(long)]
        markdown: bool,
    },
    /// Print the OpenAPI document (all groups) to stdout; needs no configuration.
    Openapi,
    /// Render deploy/functions/'s manifests from the function groups and jobs
    /// (run from the repository root after adding a group or a job).
    DeployManifests {
        /// Sync targets to give a timer function each (default: the README's example).
        #[arg(long = "sync-target")]
        sync_targets: Vec<String>,
        /// Only check that the committed files are up to date.
        #[arg(long)]
        check: bool,
    },
    /// Development helpers.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Deliver pending records to a data centre; with --once, until none is due.
    Run {
        #[arg(long)]
        target: String,
        #[arg(long)]
        once: bool,
        /// Workers in this process, each with its own batch in flight (they
        /// never claim the same record: SKIP LOCKED).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        workers: u16,
    },
    /// Queue again the records written in a time range (RFC 3339), e.g. at a data centre's request.
    Replay {
        #[arg(long)]
        target: String,
        #[arg(long)]
        from: chrono::DateTime<chrono::FixedOffset>,
        #[arg(long)]
        to: chrono::DateTime<chrono::FixedOffset>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run a job (`yaojian jobs list`); with --once a single run, else every --every seconds.
    Run {
        name: String,
        #[arg(long)]
        once: bool,
        #[arg(long, default_value_t = 60)]
        every: u64,
    },
    /// The jobs there are.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; exits 1 naming the first broken entry.
    Verify,
}

#[derive(Subcommand)]
enum ApprovalsCommand {
    /// Re-verify every trail entry's SM2 signature and hash link (of one
    /// case, or of all); exits 1 naming the first bad entry.
    Verify {
        #[arg(long)]
        case: Option<uuid::Uuid>,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Run the fake SMS gateway (demo and tests only); one-time codes are
    /// listed at GET /messages?phone=….
    FakeSms {
        #[arg(long, default_value = "127.0.0.1:9782")]
        bind: String,
    },
    /// Run the fake WeChat API (demo and tests only).
    FakeWechat {
        #[arg(long, default_value = "127.0.0.1:9780")]
        bind: String,
    },
    /// Generate data for scripts/bench: pharmacies with signed-in clerks, an
    /// inspector, and N registrations (COPY); tokens go to files in --out.
    BenchData {
        #[arg(long, default_value_t = 100_000)]
        registrations: u64,
        #[arg(long, default_value_t = 6400)]
        pharmacies: usize,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Print ID numbers of buyers that bench-data stored (for lookups).
    BenchIds {
        #[arg(long, default_value_t = 5000)]
        count: u64,
    },
    /// Run a fake data-centre receiver (demo and tests only).
    FakeReceiver {
        #[arg(long, default_value = "127.0.0.1:9781")]
        bind: String,
        #[arg(long)]
        secret: String,
        /// Share of batches answered 503.
        #[arg(long, default_value_t = 0.0)]
        fail_rate: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("yaojian: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config() -> anyhow::Result<Config> {
    let cfg = Config::from_env()?;
    shared::telemetry::init_logging(cfg.log_format);
    if cfg.master_key_is_development_default {
        tracing::warn!(
            "YAOJIAN_MASTER_KEY is not set: using the PUBLIC DEVELOPMENT KEY. Personal data is NOT protected. Never run production like this."
        );
    }
    Ok(cfg)
}

/// The configuration of a command that serves or processes personal data
/// for long (`serve`, `sync run`, `jobs run`, `serve-job`): it refuses the
/// development key outside `YAOJIAN_ENV=development`.
fn load_service_config() -> anyhow::Result<Config> {
    let cfg = load_config()?;
    cfg.require_production_key()?;
    Ok(cfg)
}

/// `--bind`, else the serverless platforms' port variables, else local.
fn bind_address(bind: Option<SocketAddr>) -> anyhow::Result<SocketAddr> {
    if let Some(addr) = bind {
        return Ok(addr);
    }
    for var in ["PORT", "FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            let port: u16 = v.parse().map_err(|_| {
                anyhow::anyhow!("configuration error: {var} is malformed (expected a port number)")
            })?;
            return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
        }
    }
    Ok(SocketAddr::from(([127, 0, 0, 1], 8080)))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            bind,
            only,
            metrics_bind,
        } => {
            let addr = bind_address(bind)?;
            let groups = app::select_groups(only.as_deref())?;
            let state = AppState::build(load_service_config()?)?;
            let names: Vec<&str> = groups.iter().map(|g| g.name).collect();
            tracing::info!(%addr, groups = ?names, "serving");
            if let Some(metrics_addr) = metrics_bind {
                let internal = app::metrics_only(state.clone());
                let listener = TcpListener::bind(metrics_addr);
                tracing::info!(%metrics_addr, "serving /metrics");
                tokio::spawn(async move {
                    if let Err(e) = Server::new(listener).run(internal).await {
                        tracing::error!(error = %e, "the metrics listener stopped");
                    }
                });
            }
            let listener = TcpListener::bind(addr);
            Server::new(listener)
                .run_with_graceful_shutdown(
                    app::build(state, &groups),
                    shutdown_signal(),
                    Some(std::time::Duration::from_secs(10)),
                )
                .await?;
        }
        Command::Migrate => {
            let state = AppState::build(load_config()?)?;
            shared::db::migrate(&state.db).await?;
            println!("migrations applied");
        }
        Command::CreateAdmin { username, name } => {
            let state = AppState::build(load_config()?)?;
            let password_text = match std::env::var("YAOJIAN_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            if let Err(e) = password::check_complexity(&password_text) {
                anyhow::bail!("{}", e.title);
            }
            let hash = password::hash(&password_text).await?;
            let mut tx = state.db.begin().await?;
            let user_id: uuid::Uuid = sqlx::query_scalar!("INSERT INTO app_user (user_id, role, display_name, username, password_hash)
                 VALUES ($1, 'city_admin', $2, $3, $4)
                 ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = 'city_admin',
                     status = 'active', must_change_password = false, pharmacy_id = NULL,
                     district_code = NULL, department_id = NULL
                 RETURNING user_id", uuid::Uuid::new_v4(), &name, username.trim(), &hash)
            .fetch_one(&mut *tx)
            .await?;
            Entry::system(Action::UserCreateAdmin)
                .on(Stream::City)
                .object(user_id)
                .append(&mut tx)
                .await?;
            tx.commit().await?;
            // A reset also ends the account's sessions and lock.
            let _ = state.sessions.revoke_all(user_id).await;
            let _ = state.lockout.clear(&username).await;
            println!("city admin `{}` ready (user id {user_id})", username.trim());
        }
        Command::SeedDemo => {
            let state = AppState::build(load_config()?)?;
            let password_text = std::env::var("YAOJIAN_DEMO_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| {
                    format!("Demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
                });
            let logins = seed::demo(&state, &password_text).await?;
            println!(
                "demo data ready: 3 pharmacies, 11 users, {} drugs, 10 approval items",
                seed::DEMO_DRUGS.len()
            );
            let w = &logins.week;
            if w.registrations > 0 {
                println!(
                    "a week of activity: {} sales, {} refused attempts, {} alerts, an inspection with a photo",
                    w.registrations, w.refused, w.alerts
                );
            }
            println!(
                "password sign-in (POST /api/v1/auth/login), password `{}`:",
                logins.password
            );
            println!("  demo-admin      city admin");
            println!("  demo-inspector  inspector of 江岸区 (420102)");
            println!("  demo-manager    manager of 江岸区民生大药房");
            println!(
                "  demo-accept, demo-review1, demo-review2, demo-decide  approvers (受理, 审查, 决定) of the demo approval items"
            );
            println!("WeChat sign-in (POST /api/v1/auth/wechat/login) against the fake WeChat:");
            println!("  any code          → the clerk of 江岸区民生大药房 (bound)");
            println!(
                "  code openid:NEW1  → an unbound account; bind it with invite code {}",
                logins.clerk_invite_code
            );
        }
        Command::Sync {
            command:
                SyncCommand::Run {
                    target,
                    once,
                    workers,
                },
        } => {
            let state = AppState::build(load_service_config()?)?;
            let t = find_target(&state, &target)?;
            let workers = (0..workers)
                .map(|_| {
                    functions::sync::worker::Worker::new(
                        state.clone(),
                        t.clone(),
                        &yaojian::groups::entities(),
                    )
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let shutdown = shutdown_signal();
            let all = futures_util::future::try_join_all(workers.iter().map(|w| w.run(once)));
            tokio::select! {
                r = all => {
                    let r = r?.into_iter().fold(functions::sync::worker::Round::default(), |a, b| a + b);
                    println!("{target}: claimed {}, delivered {}, rejected {}, failed {}, dead-lettered {}", r.claimed, r.delivered, r.rejected, r.failed, r.dead);
                }
                _ = shutdown => println!("{target}: stopped"),
            }
        }
        Command::Sync {
            command: SyncCommand::Replay { target, from, to },
        } => {
            let state = AppState::build(load_config()?)?;
            let t = find_target(&state, &target)?;
            let n = functions::sync::worker::replay(
                &state,
                &t,
                from.with_timezone(&chrono::Utc),
                to.with_timezone(&chrono::Utc),
            )
            .await?;
            println!("{target}: {n} records queued again");
        }
        Command::ServeJob { job, bind } => {
            let addr = bind_address(bind)?;
            let state = AppState::build(load_service_config()?)?;
            let runner = yaojian::trigger::JobRunner::parse(&state, &job)?;
            tracing::info!(%addr, job = %job, "serving a job trigger");
            Server::new(TcpListener::bind(addr))
                .run_with_graceful_shutdown(
                    yaojian::trigger::endpoint(runner),
                    shutdown_signal(),
                    Some(std::time::Duration::from_secs(30)),
                )
                .await?;
        }
        Command::Jobs {
            command: JobsCommand::List,
        } => {
            for job in yaojian::groups::jobs() {
                println!("{:<20} {}", job.name, job.description);
            }
        }
        Command::Jobs {
            command: JobsCommand::Run { name, once, every },
        } => {
            let jobs = yaojian::groups::jobs();
            let job = shared::jobs::find(&jobs, &name)?;
            let state = AppState::build(load_service_config()?)?;
            if once {
                match shared::jobs::run_once(&state, job).await? {
                    shared::jobs::Outcome::Done(detail) => println!("{name}: {detail}"),
                    shared::jobs::Outcome::Skipped => {
                        println!("{name}: skipped, another scheduler is running it")
                    }
                }
            } else {
                tokio::select! {
                    r = shared::jobs::run_forever(&state, job, std::time::Duration::from_secs(every.max(1))) => r?,
                    _ = shutdown_signal() => {}
                }
            }
        }
        Command::Dev {
            command:
                DevCommand::FakeReceiver {
                    bind,
                    secret,
                    fail_rate,
                },
        } => {
            let fake = yaojian::fake_receiver::FakeReceiver::start_on(&bind, &secret).await?;
            fake.state.lock().unwrap().fail_rate = fail_rate;
            println!("fake data-centre receiver on {}", fake.url());
            shutdown_signal().await;
        }
        Command::Dev {
            command:
                DevCommand::BenchData {
                    registrations,
                    pharmacies,
                    out,
                },
        } => {
            let state = AppState::build(load_config()?)?;
            let started = std::time::Instant::now();
            let data = yaojian::bench::generate(&state, pharmacies, registrations, |n| {
                eprintln!(
                    "  {n} registrations written ({:.0}/s)",
                    n as f64 / started.elapsed().as_secs_f64()
                );
            })
            .await?;
            std::fs::create_dir_all(&out)?;
            std::fs::write(
                out.join("clerk_tokens.txt"),
                data.clerk_tokens.join("\n") + "\n",
            )?;
            std::fs::write(out.join("inspector_token.txt"), &data.inspector_token)?;
            println!(
                "bench data ready in {:.1}s: {pharmacies} pharmacies, {registrations} registrations, tokens in {}",
                started.elapsed().as_secs_f64(),
                out.display()
            );
        }
        Command::Dev {
            command: DevCommand::BenchIds { count },
        } => {
            for k in 0..count {
                println!("{}", yaojian::bench::synthetic_id(k * 7 + 10_000_000));
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let state = AppState::build(load_config()?)?;
            match audit::verify(&state.db).await? {
                Ok(v) => println!(
                    "audit chain intact: {} streams, {} entries",
                    v.streams, v.entries
                ),
                Err(broken) => {
                    println!("audit chain BROKEN at {broken}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Approvals {
            command: ApprovalsCommand::Verify { case },
        } => {
            let state = AppState::build(load_config()?)?;
            match mobile_api::approvals::trail::verify_cases(&state, case).await? {
                Ok((cases, entries)) => {
                    println!("approval trails intact: {cases} cases, {entries} entries")
                }
                Err(broken) => {
                    println!(
                        "approval trail BROKEN: case {} entry {}: {}",
                        broken.case_id, broken.seq, broken.reason
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Dev {
            command: DevCommand::FakeSms { bind },
        } => {
            let fake = yaojian::fake_sms::FakeSms::start_on(&bind).await?;
            println!(
                "fake SMS gateway on {} (key {}); messages at {}/messages?phone=…",
                fake.url(),
                yaojian::fake_sms::KEY,
                fake.url()
            );
            shutdown_signal().await;
        }
        Command::Openapi => {
            let doc = app::openapi_document(&app::all_groups());
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Command::DeployManifests {
            sync_targets,
            check,
        } => {
            let targets: Vec<&str> = if sync_targets.is_empty() {
                yaojian::deploy::EXAMPLE_SYNC_TARGETS.to_vec()
            } else {
                sync_targets.iter().map(String::as_str).collect()
            };
            let (groups, jobs) = (app::all_groups(), yaojian::groups::jobs());
            let mut stale = Vec::new();
            for (path, text) in [
                (
                    yaojian::deploy::ALIYUN,
                    yaojian::deploy::aliyun(&groups, &jobs, &targets),
                ),
                (
                    yaojian::deploy::TENCENT,
                    yaojian::deploy::tencent(&groups, &jobs, &targets),
                ),
            ] {
                if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
                    continue;
                }
                if check {
                    stale.push(path);
                } else {
                    std::fs::write(path, text)?;
                    println!("wrote {path}");
                }
            }
            if !stale.is_empty() {
                println!(
                    "out of date (run `yaojian deploy-manifests`): {}",
                    stale.join(", ")
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Groups { markdown: true } => print!("{}", app::groups_table()),
        Command::Groups { markdown: false } => {
            for g in app::all_groups() {
                println!("{:<16} {}", g.name, g.description);
            }
        }
        Command::Dev {
            command: DevCommand::FakeWechat { bind },
        } => {
            let fake = FakeWechat::start_on(&bind).await?;
            println!(
                "fake WeChat on {} (appid {}, secret {})",
                fake.base_url(),
                yaojian::fake_wechat::APPID,
                yaojian::fake_wechat::SECRET
            );
            shutdown_signal().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find_target(state: &AppState, name: &str) -> anyhow::Result<shared::config::SyncTarget> {
    state
        .config
        .sync_targets
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .config
                .sync_targets
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            anyhow::anyhow!(
                "unknown sync target `{name}` (configured: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
