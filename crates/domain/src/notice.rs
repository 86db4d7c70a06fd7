//! Notices (issue 4, item 7): who is told about an event of the log, and how an outgoing
//! webhook retries. Users complain of referrals rejected or lost with no one told; the
//! cure is that every event that concerns a party lands in that party's feed, and that a
//! webhook which cannot be reached ends in a visible dead-letter list, not in silence.
//!
//! [`concern`] reads one stored event and says whose it is. A referral's events concern
//! every party the referral ever had: the referrer, the current receiver and each earlier
//! receiver (a redirect does not hide the referral from the desk that passed it on). The
//! event that makes a party join a stream says so ([`referral_joins`]); the store keeps
//! the parties per stream, so a later event (accepted, completed, …) reaches all of them
//! without rereading the stream.
//!
//! ```
//! use yilian_domain::notice::{Audience, Backoff, Concern, concern};
//! let payload = serde_json::json!({
//!     "by": {"Institution": "S1"},
//!     "change": {"kind": "requested", "id": "F1", "resident": "R1", "from": "S1",
//!                "to": "H1", "direction": "up", "urgency": "routine", "reason": "BP"}
//! });
//! let Ok(Concern::StreamParties { joins }) = concern("referral/F1", "ReferralRequested", &payload)
//! else { panic!() };
//! assert_eq!(joins, [Audience::parse("institution:S1").unwrap(), Audience::parse("institution:H1").unwrap()]);
//! // an import concerns no feed
//! assert_eq!(concern("registry", "RegistryImported", &serde_json::json!({})), Ok(Concern::Nobody));
//! // the third failed try of a webhook waits twice as long as the second
//! let b = Backoff::DEFAULT;
//! assert_eq!(b.delay_after(3), Some(2 * b.delay_after(2).unwrap()));
//! assert_eq!(b.delay_after(b.attempts_max), None); // dead letter
//! ```

use crate::access::Scope;
use crate::ids::{InstitutionId, PoolId, TeamId};
use crate::referral::Change;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// A party with a feed: an institution (its desk, doctors and staff) or a family-doctor
/// team. A new kind of party is one more variant here and one more arm where events name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// 医疗卫生机构
    Institution(InstitutionId),
    /// 家庭医生团队
    Team(TeamId),
}

/// Why a text is not an audience.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a feed: institution:ID or team:ID / 不是有效的通知对象，应为 institution:ID 或 team:ID"
)]
pub struct AudienceError(String);

impl Audience {
    /// Parses the stored form `institution:ID` / `team:ID`.
    pub fn parse(s: &str) -> Result<Audience, AudienceError> {
        let bad = || AudienceError(s.to_owned());
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "institution" => InstitutionId::parse(id)
                .map(Audience::Institution)
                .map_err(|_| bad()),
            "team" => TeamId::parse(id).map(Audience::Team).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// The audience of a grant's scope, for the scopes that have a feed.
    pub fn of_scope(scope: &Scope) -> Option<Audience> {
        match scope {
            Scope::Institution(i) => Some(Audience::Institution(i.clone())),
            Scope::Team(t) => Some(Audience::Team(t.clone())),
            Scope::City | Scope::Grid(_) | Scope::Consortium(_) | Scope::Person(_) => None,
        }
    }

    /// The scope whose feed this is (what the access policy is asked about).
    pub fn scope(&self) -> Scope {
        match self {
            Audience::Institution(i) => Scope::Institution(i.clone()),
            Audience::Team(t) => Scope::Team(t.clone()),
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Institution(i) => write!(f, "institution:{i}"),
            Audience::Team(t) => write!(f, "team:{t}"),
        }
    }
}

/// The parties a referral gains with this change: both ends when it is opened (and the
/// family-doctor team a down-referral goes to), the new receiver when it is redirected,
/// nobody otherwise — an escalation reaches every party the referral has, the receiver's
/// desk among them.
pub fn referral_joins(change: &Change) -> Vec<Audience> {
    match change {
        Change::Requested(new) => [
            Audience::Institution(new.from.clone()),
            Audience::Institution(new.to.clone()),
        ]
        .into_iter()
        .chain(new.team.clone().map(Audience::Team))
        .collect(),
        Change::Redirected { to, .. } => vec![Audience::Institution(to.clone())],
        Change::Accepted
        | Change::Rejected { .. }
        | Change::Scheduled { .. }
        | Change::Arrived
        | Change::Completed { .. }
        | Change::Cancelled { .. }
        | Change::Expired
        | Change::Escalated { .. } => vec![],
    }
}

/// Whose an event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// Nobody's feed: kinds no party is told about (imports, pool openings, …) and kinds
    /// this build does not know (skipped, so a newer writer never stops the feed).
    Nobody,
    /// Every party of the event's stream, once these have joined it (referrals).
    StreamParties {
        /// Parties this event adds to the stream.
        joins: Vec<Audience>,
    },
    /// The institutions holding these pools (a batch of bookings).
    PoolHolders(Vec<PoolId>),
    /// One party (what happened to its own webhooks).
    Only(Audience),
}

/// Why a stored event of a known kind cannot be read (a bug or an edited row: the
/// projector stops on it rather than skip a notice).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {kind} on {stream} has a payload this build cannot read: {cause}")]
pub struct PayloadError {
    /// The stream.
    pub stream: String,
    /// The kind.
    pub kind: String,
    /// What serde said.
    pub cause: String,
}

/// A referral event's payload, as `service::referral` writes it.
#[derive(Deserialize)]
struct ReferralPayload {
    change: Change,
}

#[derive(Deserialize)]
struct BookedPayload {
    bookings: Vec<BookedRow>,
}

#[derive(Deserialize)]
struct BookedRow {
    pool_id: PoolId,
}

#[derive(Deserialize)]
struct WebhookPayload {
    institution_id: InstitutionId,
}

/// The kinds of events about webhooks themselves: they reach the institution's feed but
/// are never delivered to a webhook (a dead webhook told of its own death would loop).
pub const WEBHOOK_KINDS: &[&str] = &["WebhookDeadLettered"];

/// Whose is the event `kind` on `stream` with `payload` (module docs)?
pub fn concern(
    stream: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<Concern, PayloadError> {
    fn read<T: for<'de> Deserialize<'de>>(
        stream: &str,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<T, PayloadError> {
        T::deserialize(payload).map_err(|e| PayloadError {
            stream: stream.to_owned(),
            kind: kind.to_owned(),
            cause: e.to_string(),
        })
    }
    let family = stream.split_once('/').map_or(stream, |(f, _)| f);
    Ok(match (family, kind) {
        ("referral", _) => {
            let p: ReferralPayload = read(stream, kind, payload)?;
            Concern::StreamParties {
                joins: referral_joins(&p.change),
            }
        }
        ("bookings", "SlotsBooked") => {
            let p: BookedPayload = read(stream, kind, payload)?;
            let mut pools: Vec<PoolId> = p.bookings.into_iter().map(|b| b.pool_id).collect();
            pools.sort();
            pools.dedup();
            Concern::PoolHolders(pools)
        }
        ("webhook", k) if WEBHOOK_KINDS.contains(&k) => {
            let p: WebhookPayload = read(stream, kind, payload)?;
            Concern::Only(Audience::Institution(p.institution_id))
        }
        _ => Concern::Nobody,
    })
}

/// When a failed webhook delivery is tried again: the first retry after `first`, each
/// next one after twice the last, never more than `cap` apart, and after `attempts_max`
/// tries the delivery is a dead letter. Doubling spreads the retries of a receiver that
/// is down for an hour over that hour without hammering it in the first minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failed try.
    pub first: Duration,
    /// Longest wait between two tries.
    pub cap: Duration,
    /// Tries before the dead-letter list.
    pub attempts_max: u32,
}

impl Backoff {
    /// 30 s, 1 min, 2 min, … capped at 1 h, 10 tries: about 4 hours of retries, long enough
    /// to ride out a receiver's restart or a night-time maintenance window.
    pub const DEFAULT: Backoff = Backoff {
        first: Duration::from_secs(30),
        cap: Duration::from_secs(3600),
        attempts_max: 10,
    };

    /// The wait after `attempts` failed tries, or `None` when that was the last one.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        if attempts == 0 {
            return Some(Duration::ZERO);
        }
        if attempts >= self.attempts_max {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(31);
        Some(self.first.saturating_mul(1 << doublings).min(self.cap))
    }
}

/// Longest webhook URL accepted.
pub const WEBHOOK_URL_LEN_MAX: usize = 2_000;
/// Most event kinds one subscription may filter on.
pub const WEBHOOK_KINDS_MAX: usize = 32;

/// Why a webhook subscription is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The URL is not `http://host[:port]/path`.
    #[error(
        "url: '{0}' is not http://host[:port]/path (https is terminated by a relay in front of the receiver) / url 须为 http://主机[:端口]/路径"
    )]
    BadUrl(String),
    /// The URL is too long.
    #[error(
        "url: longer than {WEBHOOK_URL_LEN_MAX} characters / url 超过 {WEBHOOK_URL_LEN_MAX} 个字符"
    )]
    UrlTooLong,
    /// A kind in the filter is not an event name.
    #[error(
        "kinds: '{0}' is not an event name such as ReferralRejected / kinds 中 '{0}' 不是事件名"
    )]
    BadKind(String),
    /// Too many kinds.
    #[error("kinds: more than {WEBHOOK_KINDS_MAX} / kinds 超过 {WEBHOOK_KINDS_MAX} 项")]
    TooManyKinds,
}

/// Where a webhook posts: plain `http://`, checked once here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses a URL: `http://`, a host, an optional port and path; no spaces, controls
    /// or credentials (a password in a URL ends up in every log that prints it).
    pub fn parse(s: &str) -> Result<WebhookUrl, WebhookError> {
        let s = s.trim();
        if s.chars().count() > WEBHOOK_URL_LEN_MAX {
            return Err(WebhookError::UrlTooLong);
        }
        let bad = || WebhookError::BadUrl(s.to_owned());
        let rest = s.strip_prefix("http://").ok_or_else(bad)?;
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        let chars_ok = !s.chars().any(|c| c.is_control() || c.is_whitespace());
        if host_ok && port_ok && chars_ok {
            Ok(WebhookUrl(s.to_owned()))
        } else {
            Err(bad())
        }
    }
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which event kinds a subscription wants; empty means all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KindFilter(Vec<String>);

impl KindFilter {
    /// Parses event names (`ReferralRejected`, …): letters only, starting with a capital.
    /// Names this build does not write are accepted, since the kinds grow with the
    /// workflows; they simply match nothing yet.
    pub fn parse(kinds: &[String]) -> Result<KindFilter, WebhookError> {
        if kinds.len() > WEBHOOK_KINDS_MAX {
            return Err(WebhookError::TooManyKinds);
        }
        let mut out = Vec::with_capacity(kinds.len());
        for k in kinds {
            let k = k.trim();
            let ok = k.len() <= 64
                && k.starts_with(|c: char| c.is_ascii_uppercase())
                && k.chars().all(|c| c.is_ascii_alphabetic());
            if !ok {
                return Err(WebhookError::BadKind(k.to_owned()));
            }
            out.push(k.to_owned());
        }
        out.sort();
        out.dedup();
        Ok(KindFilter(out))
    }
    /// The kinds, sorted; empty means all.
    pub fn kinds(&self) -> &[String] {
        &self.0
    }
    /// Is an event of `kind` delivered? Never the webhook's own events ([`WEBHOOK_KINDS`]).
    pub fn wants(&self, kind: &str) -> bool {
        !WEBHOOK_KINDS.contains(&kind) && (self.0.is_empty() || self.0.iter().any(|k| k == kind))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn inst(s: &str) -> Audience {
        Audience::Institution(InstitutionId::parse(s).unwrap())
    }

    #[test]
    fn a_redirect_adds_the_new_receiver_and_other_moves_add_nobody() {
        let redirect = json!({"by": {"Institution": "H1"},
            "change": {"kind": "redirected", "to": "H2", "reason": "no ICU bed"}});
        assert_eq!(
            concern("referral/F1", "ReferralRedirected", &redirect),
            Ok(Concern::StreamParties {
                joins: vec![inst("H2")]
            })
        );
        let accepted = json!({"by": "Clock", "change": {"kind": "accepted"}});
        assert_eq!(
            concern("referral/F1", "ReferralAccepted", &accepted),
            Ok(Concern::StreamParties { joins: vec![] })
        );
    }

    #[test]
    fn bookings_concern_the_pools_holders_once_each() {
        let p = json!({"bookings": [{"pool_id": "P2", "key": "k"}, {"pool_id": "P1"}, {"pool_id": "P2"}]});
        assert_eq!(
            concern("bookings/ab12", "SlotsBooked", &p),
            Ok(Concern::PoolHolders(vec![
                PoolId::parse("P1").unwrap(),
                PoolId::parse("P2").unwrap()
            ]))
        );
    }

    #[test]
    fn unknown_kinds_are_nobodys_and_a_broken_known_payload_is_an_error() {
        assert_eq!(
            concern("pools", "PoolsOpened", &json!({"pools": []})),
            Ok(Concern::Nobody)
        );
        assert_eq!(
            concern("bookings/x", "SlotsCancelled", &json!(null)),
            Ok(Concern::Nobody)
        );
        let e = concern("referral/F1", "ReferralAccepted", &json!({"change": 3})).unwrap_err();
        assert_eq!(
            (e.stream.as_str(), e.kind.as_str()),
            ("referral/F1", "ReferralAccepted")
        );
    }

    #[test]
    fn a_dead_letter_concerns_its_institution_and_is_never_delivered() {
        let p = json!({"institution_id": "H1", "webhook_id": "w1", "delivery_id": 3});
        assert_eq!(
            concern("webhook/w1", "WebhookDeadLettered", &p),
            Ok(Concern::Only(inst("H1")))
        );
        assert!(!KindFilter::default().wants("WebhookDeadLettered"));
        assert!(KindFilter::default().wants("ReferralRejected"));
        let only = KindFilter::parse(&["ReferralRejected".into()]).unwrap();
        assert!(only.wants("ReferralRejected") && !only.wants("ReferralAccepted"));
    }

    #[test]
    fn audiences_round_trip_and_bad_ones_are_named() {
        for s in ["institution:H1", "team:T0001"] {
            assert_eq!(Audience::parse(s).unwrap().to_string(), s);
        }
        for s in ["H1", "grid:G1", "team:", "institution:a\u{7}"] {
            assert_eq!(Audience::parse(s), Err(AudienceError(s.to_owned())));
        }
    }

    #[test]
    fn webhook_urls_are_plain_http_with_a_host() {
        for ok in [
            "http://10.0.0.5:8080/hooks/yilian",
            "http://his.example.cn",
            "http://a/b?x=1",
        ] {
            assert_eq!(WebhookUrl::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "https://h/x",
            "http://",
            "http://user:pw@h/",
            "http://h:0/",
            "http://h:99999/",
            "http://h/a b",
            "ftp://h/",
        ] {
            assert_eq!(
                WebhookUrl::parse(bad),
                Err(WebhookError::BadUrl(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            KindFilter::parse(&["referral_rejected".into()]),
            Err(WebhookError::BadKind("referral_rejected".into()))
        );
    }

    proptest! {
        /// The waits never shrink, never pass the cap, and end exactly at the last try.
        #[test]
        fn backoff_grows_is_capped_and_ends(first_ms in 1u64..100_000, cap_ms in 1u64..10_000_000, max in 1u32..40) {
            let b = Backoff { first: Duration::from_millis(first_ms), cap: Duration::from_millis(cap_ms), attempts_max: max };
            let mut last = Duration::ZERO;
            for n in 0..max + 5 {
                match b.delay_after(n) {
                    Some(d) => {
                        prop_assert!(n < max);
                        prop_assert!(d >= last && d <= b.cap);
                        last = d;
                    }
                    None => prop_assert!(n >= max),
                }
            }
        }
    }
}
