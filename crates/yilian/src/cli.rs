//! The command line: parse, run one subcommand, map its outcome to an exit status.

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use yilian_domain::policy::{Lang, Profile};
use yilian_service::ServiceError;
use yilian_service::identity::{Identity, Keyring, put_identities};
use yilian_store::Store;
use yilian_store::audit_trail::{NewAuditEntry, Outcome};
use yilian_synth::{CityParams, demo_city, identities};

/// 医联 yilian — the platform that runs a city's medical consortia (医联体).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub(crate) struct Args {
    /// The database: a SQLite file path (created when missing) or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "YILIAN_DATABASE_URL",
        default_value = "./yilian.db"
    )]
    db: String,
    /// The key file that seals residents' ID numbers, phones and names (created, readable
    /// by its owner only, when missing). Keep it outside the database and back it up:
    /// without it the sealed identifiers cannot be read.
    #[arg(
        long,
        global = true,
        env = "YILIAN_KEY_FILE",
        default_value = "./yilian.key"
    )]
    key_file: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import a city folder (interchange format): all or nothing; a repeat changes nothing.
    Import {
        /// The folder (grids.geojson, institutions.csv, … see spec/city-dataset.md).
        dir: PathBuf,
    },
    /// Export the stored city as a folder in the interchange format.
    Export {
        /// The folder to write (created when missing).
        dir: PathBuf,
    },
    /// Re-assign every resident to the grid containing their home (after grids change).
    Assign,
    /// Check the layout against a policy profile (GRID-1…4, COMP-1…9).
    /// Exit status: 0 no error-level finding, 1 at least one, 2 the input could not be read.
    Audit {
        /// A builtin profile (national, liaoning-2023, chongqing-2018) or a TOML file path.
        #[arg(long, default_value = "national")]
        profile: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The day to audit as of (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Language of the table.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
    /// Prepare the database and create the first administrator (password printed once).
    Init,
    /// Serve the HTTP API and the console.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The profile the city is held to (builtin name or TOML file).
        #[arg(long, default_value = "national")]
        profile: String,
        /// Mark cookies `Secure`: the console is reached over HTTPS (directly or through a
        /// proxy). Leave off for plain-HTTP use on 127.0.0.1.
        #[arg(long)]
        secure_cookies: bool,
        /// Seconds between two runs of the referral clocks (escalation and expiry, REF-5).
        /// Every server on one database may run them; each clock fires once.
        #[arg(long, env = "YILIAN_CLOCK_EVERY", default_value_t = CLOCK_EVERY_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
        clock_every: u64,
    },
    /// Build a realistic demo city (or import --data DIR), audit it, and serve the console.
    Demo {
        /// Import this folder instead of building the demo city.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Residents of the built city.
        #[arg(long, default_value_t = CityParams::demo().residents)]
        residents: u32,
        /// Grids of the built city.
        #[arg(long, default_value_t = CityParams::demo().grids)]
        grids: u32,
        /// Seed of the built city (same seed, same city).
        #[arg(long, default_value_t = CityParams::demo().seed)]
        seed: u64,
        /// Build and audit, then exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// The tamper-evident audit trail.
    AuditTrail {
        #[command(subcommand)]
        command: AuditTrailCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens (systems acting with a user's grants).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Slot and bed pools: open, view, release expired holds.
    Pools {
        #[command(subcommand)]
        command: crate::pools::PoolsCommand,
    },
    /// Print a builtin profile's TOML, to copy and edit.
    Profile {
        /// Profile name; lists them when absent.
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditTrailCommand {
    /// Check every entry's hash and link; exit 1 at the first edited, missing or reordered
    /// entry. Keep the printed head outside the database: a chain rewritten from some
    /// point on, or cut short, only shows against an earlier head.
    Verify,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account; without --password-stdin a password is generated and printed once.
    Add {
        /// Login name.
        user_id: String,
        /// Name shown in the console.
        #[arg(long)]
        name: String,
        /// A grant `ROLE@KIND[:ID]` (repeatable), e.g. `family_doctor@team:T0001`,
        /// `referral_desk@institution:ID`, `commission_admin@city`, `auditor@city`.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts (never their passwords).
    List,
    /// Disable an account.
    Disable {
        /// Login name.
        user_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for USER; the token is printed once, on the last line.
    Create {
        /// Whose grants it acts with.
        user_id: String,
        /// What it is for.
        #[arg(long)]
        name: String,
        /// Days it lives (1–366).
        #[arg(long, default_value_t = yilian_service::auth::TOKEN_DAYS_DEFAULT)]
        days: i64,
    },
    /// List USER's tokens (never their secrets).
    List {
        /// Whose.
        user_id: String,
    },
    /// Revoke one of USER's tokens.
    Revoke {
        /// Whose.
        user_id: String,
        /// The token's id (the part after `yl_`).
        token_id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// Exit statuses (the audit's are part of its contract).
const EXIT_FINDINGS: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

pub(crate) fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("错误 error: {e}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// Reads a profile by builtin name or file path.
pub(crate) fn load_profile(name: &str) -> Result<Profile, String> {
    if let Some(p) = Profile::builtin(name) {
        return Ok(p);
    }
    let text = std::fs::read_to_string(name).map_err(|e| {
        format!(
            "'{name}' is neither a builtin profile ({}) nor a readable file: {e}",
            Profile::builtin_names().join(", ")
        )
    })?;
    Profile::from_toml_str(&text).map_err(|e| format!("{name}: {e}"))
}

pub(crate) async fn run(args: Args) -> ExitCode {
    if let Command::Profile { name } = &args.command {
        return profile(name.as_deref());
    }
    let store = match Store::connect(&args.db).await {
        Ok(s) => s,
        Err(e) => {
            return fail(format!(
                "cannot open the database {}: {e}",
                redact(&args.db)
            ));
        }
    };
    let code = match args.command {
        Command::Import { dir } => import(&store, &dir).await,
        Command::Export { dir } => export(&store, &dir).await,
        Command::Assign => {
            match yilian_service::locate::reassign(&store, &yilian_service::cli_actor()).await {
                Ok(r) => {
                    println!(
                        "已分配 assigned: {} residents to {} grids; {} changed; {} outside every grid (GRID-1)",
                        r.residents, r.grids, r.changed, r.outside
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Audit {
            profile,
            format,
            date,
            lang,
        } => audit(&store, &profile, format, date, lang).await,
        Command::Serve {
            addr,
            profile,
            secure_cookies,
            clock_every,
        } => {
            let server = Server {
                profile: &profile,
                key_file: &args.key_file,
                addr,
                secure_cookies,
                clock_every: Duration::from_secs(clock_every),
            };
            serve(store.clone(), &server).await
        }
        Command::Demo {
            data,
            addr,
            residents,
            grids,
            seed,
            no_serve,
        } => {
            demo(
                &store,
                data,
                CityParams {
                    seed,
                    residents,
                    grids,
                },
                &args.key_file,
                addr,
                no_serve,
            )
            .await
        }
        Command::User { command } => user(&store, command).await,
        Command::Pools { command } => crate::pools::pools(&store, command).await,
        Command::Token { command } => token(&store, command).await,
        Command::Init => init(&store).await,
        Command::AuditTrail {
            command: AuditTrailCommand::Verify,
        } => verify_trail(&store).await,
        Command::Profile { .. } => unreachable!("handled before the database is opened"),
    };
    store.close().await;
    code
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

fn profile(name: Option<&str>) -> ExitCode {
    match name {
        None => {
            for n in Profile::builtin_names() {
                println!("{n}");
            }
            ExitCode::SUCCESS
        }
        Some(n) => match Profile::builtin_toml(n) {
            Some(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            None => fail(format!(
                "no builtin profile '{n}' / 没有名为 '{n}' 的内置配置"
            )),
        },
    }
}

async fn import(store: &Store, dir: &std::path::Path) -> ExitCode {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} 导入居民 importing residents {bytes}/{total_bytes} {bar:30} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let progress = move |read: u64, total: u64| {
        b.set_length(total);
        b.set_position(read);
    };
    let result =
        yilian_service::import::import_dir(store, dir, &yilian_service::cli_actor(), progress)
            .await;
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            for d in r.diagnostics.items() {
                eprintln!("{d}");
            }
            let c = r.changes;
            if c.is_empty() {
                println!("无变化 nothing changed: the database already holds this folder");
            } else {
                println!(
                    "已导入 imported: {} grids, {} institutions, {} consortia, {} memberships, {} teams, {} residents inserted or changed",
                    c.grids, c.institutions, c.consortia, c.memberships, c.teams, c.residents
                );
            }
            if r.residents_outside.count > 0 {
                println!(
                    "GRID-1: {} residents lie outside every grid",
                    r.residents_outside.count
                );
            }
            ExitCode::SUCCESS
        }
        Err(ServiceError::Input(d)) => {
            for item in d.items() {
                eprintln!("{item}");
            }
            if d.truncated() {
                eprintln!(
                    "… ({} errors and {} warnings in all)",
                    d.error_count(),
                    d.warning_count()
                );
            }
            eprintln!(
                "导入失败，数据库未改变 import failed, the database is unchanged: {} error(s)",
                d.error_count()
            );
            ExitCode::from(EXIT_FINDINGS)
        }
        Err(e) => fail(e),
    }
}

async fn audit(
    store: &Store,
    profile: &str,
    format: Format,
    date: Option<NaiveDate>,
    lang: LangArg,
) -> ExitCode {
    let profile = match load_profile(profile) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let day = date.unwrap_or_else(yilian_service::today);
    let report = match yilian_service::audit::run_audit(store, &profile, day).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    match format {
        Format::Table => print!(
            "{}",
            report.to_table(match lang {
                LangArg::Zh => Lang::Zh,
                LangArg::En => Lang::En,
            })
        ),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        },
        Format::Html => print!("{}", yilian_server::audit_page(&report, lang.into())),
    }
    if report.has_errors() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// How `serve` (and `demo`) serve.
struct Server<'a> {
    profile: &'a str,
    key_file: &'a Path,
    addr: SocketAddr,
    secure_cookies: bool,
    /// How often the referral clocks run.
    clock_every: Duration,
}

/// Default seconds between two runs of the referral clocks: the shortest clock is 30
/// minutes (an emergency's answer), so a firing is at most this late.
const CLOCK_EVERY_SECS: u64 = 15;

/// Opens the key file, telling the operator to keep a copy when it was just made.
fn keyring(path: &Path) -> Result<Keyring, ExitCode> {
    match Keyring::load_or_create(path) {
        Ok((ring, created)) => {
            if created {
                println!(
                    "已生成密钥文件 key file created: {} — 请另行备份 keep a copy elsewhere: the sealed ID numbers cannot be read without it",
                    path.display()
                );
            }
            Ok(ring)
        }
        Err(e) => Err(fail(e)),
    }
}

/// How often `serve` projects new events into the feeds and looks for due webhook
/// deliveries: the delay between an event and its notice.
const NOTIFY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

async fn serve(store: Store, server: &Server<'_>) -> ExitCode {
    let profile = match load_profile(server.profile) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let ring = match keyring(server.key_file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let addr = server.addr;
    println!(
        "控制台 console: http://{addr}/   接口文档 API docs: http://{addr}/api/docs/   (Ctrl-C 停止 to stop)"
    );
    crate::pools::spawn_sweeper(store.clone());
    let mut state = yilian_server::AppState::new(store, profile, ring);
    state.secure_cookies = server.secure_cookies;
    // the referral clocks (issue 4, item 2)
    yilian_service::clock::spawn_scheduler(
        state.store.clone(),
        state.profile.clone(),
        server.clock_every,
    );
    // the feeds and the webhooks, beside the requests (issue 4, item 7)
    yilian_service::notice::spawn_notifier(
        state.store.clone(),
        state.keyring.clone(),
        yilian_service::webhook::Delivery::DEFAULT,
        NOTIFY_INTERVAL,
    );
    match yilian_server::serve(state, addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot serve on {addr}: {e}")),
    }
}

async fn demo(
    store: &Store,
    data: Option<PathBuf>,
    params: CityParams,
    key_file: &Path,
    addr: SocketAddr,
    no_serve: bool,
) -> ExitCode {
    let actor = yilian_service::cli_actor();
    let ring = match keyring(key_file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match data {
        Some(dir) => {
            let code = import(store, &dir).await;
            if code != ExitCode::SUCCESS {
                return code;
            }
        }
        None => {
            if let Err(e) = params.check() {
                return fail(e);
            }
            let started = std::time::Instant::now();
            let city = demo_city(&params);
            let idents: Vec<_> = identities(&city, params.seed, yilian_service::today())
                .into_iter()
                .map(|i| {
                    let ident = Identity {
                        id_card: i.id_card,
                        phone: Some(i.phone),
                        name: Some(i.name),
                    };
                    (i.resident, ident)
                })
                .collect();
            let stored =
                yilian_service::import::store_city(store, &city.registry, city.residents, &actor)
                    .await;
            if stored.is_ok()
                && let Err(e) = put_identities(store, &ring, &idents).await
            {
                return fail(e);
            }
            if stored.is_ok()
                && let Err(e) = open_demo_pools(store, &city.registry, &actor).await
            {
                return fail(e);
            }
            match stored {
                Ok(r) => println!(
                    "示范城市 demo city (seed {}): {} grids, {} institutions, {} consortia, {} residents in {:.1} s",
                    params.seed,
                    city.registry.grids.len(),
                    city.registry.institutions.len(),
                    city.registry.consortia.len(),
                    r.residents_read,
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => return fail(e),
            }
        }
    }
    let code = init(store).await;
    if code != ExitCode::SUCCESS {
        return code;
    }
    let profile =
        Profile::builtin("national").expect("BUG: the national profile ships in the binary");
    match yilian_service::audit::run_audit(store, &profile, yilian_service::today()).await {
        Ok(report) => print!("{}", report.to_table(Lang::Zh)),
        Err(e) => return fail(e),
    }
    if no_serve {
        return ExitCode::SUCCESS;
    }
    let server = Server {
        profile: "national",
        key_file,
        addr,
        secure_cookies: false,
        clock_every: Duration::from_secs(CLOCK_EVERY_SECS),
    };
    serve(store.clone(), &server).await
}

/// Opens a week of referral-ready slot and bed pools at every lead hospital of the demo
/// city (a repeated demo keeps the pools it opened before).
async fn open_demo_pools(
    store: &Store,
    registry: &yilian_domain::registry::Registry,
    actor: &str,
) -> Result<(), String> {
    let existing = yilian_store::capacity::all_pools(store)
        .await
        .map_err(|e| e.to_string())?;
    let rows: Vec<yilian_store::capacity::PoolRow> =
        yilian_synth::demo_pools(registry, yilian_service::today())
            .into_iter()
            .filter(|p| !existing.iter().any(|e| e.pool_id == p.id))
            .map(|p| yilian_store::capacity::PoolRow {
                pool_id: p.id,
                institution_id: p.institution,
                department: p.department.to_owned(),
                day: p.day,
                session: p.session.as_str().to_owned(),
                pool: p.pool,
            })
            .collect();
    let profile =
        Profile::builtin("national").expect("BUG: the national profile ships in the binary");
    let n = rows.len();
    if n == 0 {
        return Ok(());
    }
    yilian_service::booking::open_pools(store, &rows, &profile, actor)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    println!(
        "号源床位池 slot and bed pools opened: {n} (a week of outpatient sessions and ward admission days at every lead hospital, a third of slots and a quarter of beds reserved for referrals)"
    );
    Ok(())
}

/// `yilian export DIR`, recorded in the audit trail like every export.
async fn export(store: &Store, dir: &Path) -> ExitCode {
    match yilian_service::export::export_dir(store, dir).await {
        Ok(r) => {
            let entry = NewAuditEntry {
                at: chrono::Utc::now(),
                actor: yilian_service::cli_actor(),
                role: "operator".into(),
                scope: "city".into(),
                action: "export_registry".into(),
                person: None,
                purpose: "management".into(),
                reason: None,
                flagged: false,
                source: "cli".into(),
                outcome: Outcome::Allowed,
                detail: serde_json::json!({"residents": r.residents, "institutions": r.institutions}),
            };
            if let Err(e) = yilian_service::audit_trail::record(store, &entry).await {
                return fail(e);
            }
            println!(
                "已导出 exported: {} grids, {} institutions, {} consortia, {} residents",
                r.grids, r.institutions, r.consortia, r.residents
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn token(store: &Store, command: TokenCommand) -> ExitCode {
    use yilian_service::auth;
    let user = |id: &str| {
        yilian_domain::ids::UserId::parse(id).map_err(|e| fail(format!("user id '{id}': {e}")))
    };
    let now = chrono::Utc::now();
    let actor = yilian_service::cli_actor();
    match command {
        TokenCommand::Create {
            user_id,
            name,
            days,
        } => {
            let id = match user(&user_id) {
                Ok(id) => id,
                Err(code) => return code,
            };
            match auth::create_token(store, &id, &name, days, now, &actor).await {
                Ok(Ok(t)) => {
                    println!(
                        "已创建令牌 token {} created for {user_id}, expires {}; 仅显示一次 shown once:",
                        t.token.token_id,
                        t.token.expires_at.format("%Y-%m-%d")
                    );
                    println!("{}", t.secret.reveal());
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(e),
                Err(e) => fail(e),
            }
        }
        TokenCommand::List { user_id } => {
            let id = match user(&user_id) {
                Ok(id) => id,
                Err(code) => return code,
            };
            match auth::list_tokens(store, &id).await {
                Ok(list) => {
                    for t in list {
                        let state = match t.revoked_at {
                            Some(at) => format!("吊销 revoked {}", at.format("%Y-%m-%d")),
                            None if t.expires_at <= now => "过期 expired".to_owned(),
                            None => "有效 live".to_owned(),
                        };
                        println!(
                            "{}\t{}\t{}\t{state}",
                            t.token_id,
                            t.name,
                            t.expires_at.format("%Y-%m-%d")
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        TokenCommand::Revoke { user_id, token_id } => {
            let id = match user(&user_id) {
                Ok(id) => id,
                Err(code) => return code,
            };
            match auth::revoke_token(store, &id, &token_id, now, &actor).await {
                Ok(()) => {
                    println!("已吊销 token {token_id} revoked");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}

async fn user(store: &Store, command: UserCommand) -> ExitCode {
    use yilian_service::account;
    let actor = yilian_service::cli_actor();
    match command {
        UserCommand::Add {
            user_id,
            name,
            grants,
            password_stdin,
        } => {
            let id = match yilian_domain::ids::UserId::parse(&user_id) {
                Ok(id) => id,
                Err(e) => return fail(format!("user id '{user_id}': {e}")),
            };
            let grants: Result<Vec<_>, _> =
                grants.iter().map(|g| account::parse_grant(g)).collect();
            let grants = match grants {
                Ok(g) => g,
                Err(e) => return fail(e),
            };
            let typed = if password_stdin {
                let mut line = String::new();
                if let Err(e) = std::io::stdin().read_line(&mut line) {
                    return fail(format!("cannot read the password: {e}"));
                }
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            match account::add_user(store, id, name, grants, typed.as_deref(), &actor).await {
                Ok(Some(generated)) => {
                    println!(
                        "已创建用户 user {user_id} created. 初始密码（仅显示一次）first password, shown once: {generated}"
                    );
                    ExitCode::SUCCESS
                }
                Ok(None) => {
                    println!("已创建用户 user {user_id} created");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        UserCommand::List => match account::list_users(store).await {
            Ok(users) => {
                for u in users {
                    let grants: Vec<String> = u
                        .grants
                        .iter()
                        .map(|g| format!("{}@{}", g.role().as_str(), g.scope()))
                        .collect();
                    let state = if u.disabled {
                        "停用 disabled"
                    } else {
                        "启用 active"
                    };
                    println!(
                        "{}\t{}\t{state}\t{}",
                        u.user_id,
                        u.display_name,
                        grants.join(" ")
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        UserCommand::Disable { user_id } => {
            let id = match yilian_domain::ids::UserId::parse(&user_id) {
                Ok(id) => id,
                Err(e) => return fail(format!("user id '{user_id}': {e}")),
            };
            match account::disable_user(store, &id, &actor).await {
                Ok(()) => {
                    println!("已停用 user {user_id} disabled");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}

async fn verify_trail(store: &Store) -> ExitCode {
    match yilian_service::audit_trail::verify(store).await {
        Ok(r) => {
            let head = r
                .head
                .as_ref()
                .map_or_else(|| "(empty)".to_owned(), |h| format!("{} {}", h.seq, h.hash));
            match &r.broken {
                None => {
                    println!(
                        "审计记录完整 audit trail intact: {} entries; head 链头 {head}",
                        r.checked
                    );
                    ExitCode::SUCCESS
                }
                Some(b) => {
                    println!(
                        "审计记录被篡改 audit trail broken at entry {}: {} / {}",
                        b.seq, b.message_zh, b.message_en
                    );
                    ExitCode::from(EXIT_FINDINGS)
                }
            }
        }
        Err(e) => fail(e),
    }
}

async fn init(store: &Store) -> ExitCode {
    use yilian_service::account::{FIRST_ADMIN, init_first_admin};
    match init_first_admin(store, &yilian_service::cli_actor()).await {
        Ok(Some(password)) => {
            println!(
                "已创建管理员 first administrator '{FIRST_ADMIN}' created; 密码仅显示一次 password, shown once: {password}"
            );
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("已有账号，未创建管理员 accounts exist already; no administrator created");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
