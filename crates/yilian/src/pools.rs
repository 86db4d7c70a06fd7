//! `yilian pools …`: the desk's capacity from the command line (issue 4, items 5 and 8):
//! open a pool of slots or beds on the standard release, refused below the lead's share
//! (QUOTA-1, QUOTA-2); print the pool view (QUOTA-3); release expired holds. And the
//! sweeper `serve` runs, so that holds lapse without anyone asking.

use crate::cli::{fail, load_profile};
use chrono::NaiveDate;
use clap::Subcommand;
use std::process::ExitCode;
use std::time::Duration;
use yilian_domain::ids::InstitutionId;
use yilian_service::capacity::{PoolAsk, pool_view, sweep};
use yilian_store::Store;
use yilian_store::capacity::Days;

/// How often `serve` releases expired holds: a slot hold lasts minutes, so a lapsed one
/// is back in its tranche within half a minute.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, Subcommand)]
pub(crate) enum PoolsCommand {
    /// Open a pool of slots or beds on the standard release (reserved 14 days ahead,
    /// public 7, unused reserved back to the public 12 hours before the start). A lead
    /// hospital must reserve the profile's share: QUOTA-1 (slots), QUOTA-2 (beds).
    Open {
        /// The institution.
        #[arg(long)]
        institution: String,
        /// The department (slots) or ward (beds).
        #[arg(long)]
        department: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// `am`, `pm`, `night` (slots) or `day` (a ward's admission day).
        #[arg(long)]
        session: String,
        /// `slot` or `bed`.
        #[arg(long, default_value = "slot")]
        kind: String,
        /// Slots or beds in all.
        #[arg(long)]
        capacity: u32,
        /// Reserved for referrals from primary care.
        #[arg(long)]
        reserved: u32,
        /// The profile whose shares apply (builtin name or TOML file).
        #[arg(long, default_value = "national")]
        profile: String,
    },
    /// Print the pool view: per department and day, reserved, used by referrals,
    /// returned to the public, wasted, booked by the public.
    View {
        /// The institution.
        #[arg(long)]
        institution: String,
        /// First day (default: today in China).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day (default: the first).
        #[arg(long)]
        to: Option<NaiveDate>,
    },
    /// Release the holds whose deadline has passed (`serve` does it every 30 seconds).
    Sweep,
}

/// Runs one `pools` subcommand.
pub(crate) async fn pools(store: &Store, command: PoolsCommand) -> ExitCode {
    match command {
        PoolsCommand::Open {
            institution,
            department,
            date,
            session,
            kind,
            capacity,
            reserved,
            profile,
        } => {
            let profile = match load_profile(&profile) {
                Ok(p) => p,
                Err(e) => return fail(e),
            };
            let institution = match InstitutionId::parse(&institution) {
                Ok(i) => i,
                Err(e) => return fail(format!("--institution: {e}")),
            };
            let ask = PoolAsk {
                institution,
                department: &department,
                day: date,
                session: &session,
                kind: &kind,
                capacity,
                reserved,
            };
            let row = match ask.row(yilian_service::today()) {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            let actor = yilian_service::cli_actor();
            let opened = yilian_service::booking::open_pools(
                store,
                std::slice::from_ref(&row),
                &profile,
                &actor,
            )
            .await;
            match opened {
                Ok(Ok(())) => {
                    println!("已开放 opened: {}", row.pool_id);
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(e),
                Err(e) => fail(e),
            }
        }
        PoolsCommand::View {
            institution,
            from,
            to,
        } => {
            let institution = match InstitutionId::parse(&institution) {
                Ok(i) => i,
                Err(e) => return fail(format!("--institution: {e}")),
            };
            let from = from.unwrap_or_else(yilian_service::today);
            let days = Days {
                from: Some(from),
                to: Some(to.unwrap_or(from)),
            };
            match pool_view(store, &institution, days, chrono::Utc::now()).await {
                Ok(lines) => {
                    println!(
                        "日期 day\t科室 department\t类别 kind\t总数 capacity\t预留 reserved\t转诊使用 used\t回流 returned\t浪费 wasted\t公众 public"
                    );
                    for l in lines {
                        let f = l.figures;
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            l.day,
                            l.department,
                            l.kind,
                            f.capacity,
                            f.reserved,
                            f.used_by_referrals,
                            f.returned,
                            f.wasted,
                            f.public_booked
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        PoolsCommand::Sweep => match sweep(store, chrono::Utc::now()).await {
            Ok(n) => {
                println!("已释放过期锁定 expired holds released: {n}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

/// Starts the task that releases expired holds every [`SWEEP_EVERY`] while the server
/// runs. Several servers on one database may each run one ([`sweep`] is safe so); a
/// failed round is reported and the next one tries again.
pub(crate) fn spawn_sweeper(store: Store) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = sweep(&store, chrono::Utc::now()).await {
                eprintln!("错误 error: releasing expired holds: {e}");
            }
        }
    });
}
