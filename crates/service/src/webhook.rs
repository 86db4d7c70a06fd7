//! Outgoing webhooks (issue 4, item 7): an institution's systems (its HIS, a ward
//! display) subscribe to its notices; each delivery is a signed POST, retried with
//! exponential back-off ([`Backoff`]) on a schedule kept in the database, and after the
//! last try it lands in the dead-letter list, with a `WebhookDeadLettered` notice in the
//! institution's feed, until someone retries it. Lost notifications were a complaint
//! against referral systems: here a failure is always either retried or visible.
//!
//! **Signature.** The body is JSON (the notice: ids, stream, kind, time; no person's
//! data) and `X-Yilian-Signature: sha256=<hex>` is its HMAC-SHA256 under the
//! subscription's secret, which the receiver got once when it subscribed. The secret is
//! sealed with the key file at rest, like residents' identifiers.
//!
//! **Transport.** Plain HTTP/1.1 on the hospital intranet, written here on a Tokio socket
//! (the tree has no HTTP client crate, and a webhook needs one request and one status
//! line); an `https://` receiver sits behind a TLS-terminating relay.

use crate::ServiceError;
use crate::identity::Keyring;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yilian_domain::ids::InstitutionId;
use yilian_domain::notice::{Backoff, KindFilter, WebhookError, WebhookUrl};
use yilian_store::event::{NewEvent, append};
use yilian_store::webhook::{self, Due, Outcome, WebhookRow};
use yilian_store::{Store, Tx};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Yilian-Signature";
/// Most bytes of a receiver's response head read before giving up on it.
const RESPONSE_HEAD_BYTES_MAX: usize = 16 * 1024;
/// Most subscriptions per institution: each adds a delivery to every notice.
pub const WEBHOOKS_PER_INSTITUTION_MAX: usize = 20;

/// How deliveries are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// When failed tries are repeated, and how many.
    pub backoff: Backoff,
    /// How long one POST may take, connection included.
    pub timeout: Duration,
    /// Deliveries claimed per round.
    pub batch: i64,
}

impl Delivery {
    /// The defaults `yilian serve` uses.
    pub const DEFAULT: Delivery = Delivery {
        backoff: Backoff::DEFAULT,
        timeout: Duration::from_secs(10),
        batch: 64,
    };

    /// How long a claim holds: every POST of a round runs at once, so one timeout and a
    /// margin for recording the results.
    fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(5)
    }
}

/// HMAC-SHA256 of `body` under `secret`, as the signature header carries it.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("BUG: HMAC takes a key of any length");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// Appends the event of a change made in `tx` and commits both (one transaction per
/// command, its event inside).
async fn commit_with(
    mut tx: Tx,
    stream: String,
    kind: &'static str,
    payload: serde_json::Value,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let e = NewEvent {
        stream,
        kind,
        version: 1,
        payload,
        actor: actor.to_owned(),
        at,
    };
    append(&mut tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Subscribes `url` to the notices of `institution` (all kinds, or those named). The
/// subscription and its secret, shown this once; or why the input is refused.
pub async fn subscribe(
    store: &Store,
    keyring: &Keyring,
    institution: &InstitutionId,
    url: &str,
    kinds: &[String],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Result<(WebhookRow, String), WebhookError>, ServiceError> {
    let url = match WebhookUrl::parse(url) {
        Ok(u) => u,
        Err(e) => return Ok(Err(e)),
    };
    let filter = match KindFilter::parse(kinds) {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    if webhook::webhooks_of(store, institution).await?.len() >= WEBHOOKS_PER_INSTITUTION_MAX {
        return Err(ServiceError::Conflict(format!(
            "an institution has at most {WEBHOOKS_PER_INSTITUTION_MAX} webhooks / 每个机构最多 {WEBHOOKS_PER_INSTITUTION_MAX} 个推送地址"
        )));
    }
    let secret = crate::auth::random_hex();
    let row = WebhookRow {
        webhook_id: format!("wh_{}", &crate::auth::random_hex().reveal()[..16]),
        institution_id: institution.clone(),
        url: url.as_str().to_owned(),
        secret_sealed: keyring.seal(secret.reveal()),
        kinds: filter.kinds().to_vec(),
        created_by: actor.to_owned(),
        created_at: now,
    };
    let mut tx = store.begin().await?;
    webhook::insert_webhook(&mut tx, &row).await?;
    let payload = serde_json::json!({
        "institution_id": institution, "webhook_id": row.webhook_id, "url": row.url, "kinds": row.kinds,
    });
    commit_with(
        tx,
        format!("webhook/{}", row.webhook_id),
        "WebhookSubscribed",
        payload,
        actor,
        now,
    )
    .await?;
    Ok(Ok((row, secret.reveal().to_owned())))
}

/// Removes a subscription of `institution` and its queued deliveries; false when it has
/// none by that id (nothing changed).
pub async fn unsubscribe(
    store: &Store,
    institution: &InstitutionId,
    webhook_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let mut tx = store.begin().await?;
    if !webhook::delete_webhook(&mut tx, webhook_id, institution).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let payload = serde_json::json!({ "institution_id": institution, "webhook_id": webhook_id });
    commit_with(
        tx,
        format!("webhook/{webhook_id}"),
        "WebhookUnsubscribed",
        payload,
        actor,
        now,
    )
    .await?;
    Ok(true)
}

/// Puts a dead letter of `institution` back in the queue with a fresh round of tries;
/// false when it has no dead letter by that id (nothing changed).
pub async fn retry_now(
    store: &Store,
    institution: &InstitutionId,
    delivery_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let mut tx = store.begin().await?;
    if !webhook::retry_dead(&mut tx, delivery_id, institution, now).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let payload = serde_json::json!({ "institution_id": institution, "delivery_id": delivery_id });
    commit_with(
        tx,
        format!("webhook-delivery/{delivery_id}"),
        "WebhookRetried",
        payload,
        actor,
        now,
    )
    .await?;
    Ok(true)
}

/// What a round of deliveries came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Round {
    /// Answered 2xx.
    pub delivered: usize,
    /// Failed, to be tried again.
    pub retried: usize,
    /// Failed for the last time.
    pub dead: usize,
}

/// Claims the deliveries due at `now`, posts them all at once, and records each result
/// (module docs of `store::webhook` for the claim).
pub async fn deliver_due(
    store: &Store,
    keyring: &Keyring,
    how: &Delivery,
    now: DateTime<Utc>,
) -> Result<Round, ServiceError> {
    let claim = crate::auth::random_hex().reveal().to_owned();
    let lease = chrono::Duration::from_std(how.lease())
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let due = webhook::claim_due(&mut tx, now, now + lease, &claim, how.batch).await?;
    tx.commit().await?;
    if due.is_empty() {
        return Ok(Round::default());
    }
    let mut posts = tokio::task::JoinSet::new();
    for d in due {
        let secret = keyring.open(&d.secret_sealed, "webhook secret")?;
        let timeout = how.timeout;
        posts.spawn(async move {
            let answer = post_notice(&d, &secret, timeout).await;
            (d, answer)
        });
    }
    let mut round = Round::default();
    while let Some(joined) = posts.join_next().await {
        let (d, answer) = joined.map_err(|e| ServiceError::Internal(e.to_string()))?;
        let done = Utc::now();
        let outcome = match answer {
            Ok(status) if (200..300).contains(&status) => Outcome::Delivered { status },
            failed => {
                let (status, error) = match failed {
                    Ok(status) => (Some(status), format!("HTTP {status}")),
                    Err(e) => (None, e),
                };
                match how.backoff.delay_after(d.attempts + 1) {
                    Some(wait) => Outcome::Retry {
                        status,
                        error,
                        next_at: done
                            + chrono::Duration::from_std(wait)
                                .map_err(|e| ServiceError::Internal(e.to_string()))?,
                    },
                    None => Outcome::Dead { status, error },
                }
            }
        };
        let mut tx = store.begin().await?;
        if !webhook::finish(&mut tx, d.delivery_id, &claim, &outcome, done).await? {
            // the lease ran out and another round owns the delivery now
            tx.rollback().await?;
            continue;
        }
        match &outcome {
            Outcome::Delivered { .. } => {
                round.delivered += 1;
                tx.commit().await?;
            }
            Outcome::Retry { .. } => {
                round.retried += 1;
                tx.commit().await?;
            }
            Outcome::Dead { error, .. } => {
                round.dead += 1;
                let payload = serde_json::json!({
                    "institution_id": d.institution_id, "webhook_id": d.webhook_id,
                    "delivery_id": d.delivery_id, "notice_id": d.notice.notice_id, "error": error,
                });
                let stream = format!("webhook/{}", d.webhook_id);
                commit_with(tx, stream, "WebhookDeadLettered", payload, "webhook", done).await?;
            }
        }
    }
    Ok(round)
}

/// Posts one delivery; the receiver's status, or why there was none.
async fn post_notice(d: &Due, secret: &str, timeout: Duration) -> Result<u16, String> {
    let body = serde_json::to_vec(&d.notice).map_err(|e| e.to_string())?;
    let url = WebhookUrl::parse(&d.url).map_err(|e| e.to_string())?;
    let headers = [
        (SIGNATURE_HEADER, sign(secret, &body)),
        ("X-Yilian-Delivery", d.delivery_id.to_string()),
        ("X-Yilian-Event", d.notice.kind.clone()),
    ];
    tokio::time::timeout(timeout, post(&url, &headers, &body))
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs_f32()))?
}

/// One HTTP/1.1 POST with `Connection: close`; the status code of the answer.
async fn post(url: &WebhookUrl, headers: &[(&str, String)], body: &[u8]) -> Result<u16, String> {
    let rest = url
        .as_str()
        .strip_prefix("http://")
        .expect("BUG: WebhookUrl::parse admits http:// only");
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path.chars().next() {
        None => "/".to_owned(),
        Some('?') => format!("/{path}"),
        Some(_) => path.to_owned(),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|e| e.to_string())?),
        None => (authority, 80),
    };
    let mut stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: yilian\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.write_all(body).await.map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the receiver closed the connection without an answer".into());
        }
        got.extend_from_slice(&buf[..n]);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut res = httparse::Response::new(&mut hs);
        match res.parse(&got) {
            Ok(httparse::Status::Complete(_)) => {
                return res.code.ok_or_else(|| "an answer without a status".into());
            }
            Ok(httparse::Status::Partial) if got.len() < RESPONSE_HEAD_BYTES_MAX => {}
            Ok(httparse::Status::Partial) => return Err("the answer's head is too long".into()),
            Err(e) => return Err(format!("not an HTTP answer: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is how a test reports
    use super::*;
    use crate::notice::settle;
    use crate::notice::tests::{WAIT, city, open};
    use crate::referral::act;
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::{Arc, Mutex};
    use yilian_domain::ids::ReferralId;
    use yilian_domain::notice::Audience;
    use yilian_domain::referral::Party;
    use yilian_store::dbtest;

    /// What the receiver saw: signature header and body of each request.
    type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

    /// A real HTTP receiver on 127.0.0.1 that answers 500 to the first `fails` requests
    /// (all of them when `None`), then 204; its URL and what it saw.
    async fn receiver(fails: Option<usize>) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let log = log.clone();
                async move {
                    let sig = headers
                        .get(SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let mut log = log.lock().unwrap();
                    log.push((sig, body.to_vec()));
                    if fails.is_none_or(|n| log.len() <= n) {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/hook"), seen)
    }

    fn quick(attempts_max: u32) -> Delivery {
        Delivery {
            backoff: Backoff {
                first: Duration::from_secs(60),
                cap: Duration::from_secs(600),
                attempts_max,
            },
            timeout: Duration::from_secs(5),
            batch: 10,
        }
    }

    fn round(delivered: usize, retried: usize, dead: usize) -> Round {
        Round {
            delivered,
            retried,
            dead,
        }
    }

    /// One round of deliveries at each of these hours from now.
    async fn rounds(store: &Store, keys: &Keyring, how: &Delivery, hours: &[i64]) -> Vec<Round> {
        let t0 = Utc::now();
        let mut out = Vec::new();
        for h in hours {
            let at = t0 + chrono::Duration::hours(*h);
            out.push(deliver_due(store, keys, how, at).await.unwrap());
        }
        out
    }

    /// A referral from `from` to `to`, projected into notices.
    async fn refer(
        store: &Store,
        id: &str,
        from: &InstitutionId,
        to: &InstitutionId,
        r: &yilian_domain::ids::ResidentId,
    ) {
        let rid = ReferralId::parse(id).unwrap();
        act(
            store,
            &crate::notice::tests::national(),
            &rid,
            &open(id, from, to, r),
            &Party::Institution(from.clone()),
            "fd",
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
        settle(store, WAIT).await.unwrap();
    }

    dbtest!(
        a_failing_receiver_gets_the_notice_signed_after_two_retries,
        |store| {
            let (lead, s1, _, r) = city(&store).await;
            let keys = Keyring::generate();
            let (url, seen) = receiver(Some(2)).await;
            let (hook, secret) = subscribe(&store, &keys, &lead, &url, &[], "desk", Utc::now())
                .await
                .unwrap()
                .unwrap();
            refer(&store, "F1", &s1, &lead, &r).await;
            // not due again before the back-off has passed; never again once delivered
            let rounds = rounds(&store, &keys, &quick(5), &[0, 0, 1, 2, 3]).await;
            assert_eq!(
                rounds,
                [
                    round(0, 1, 0),
                    round(0, 0, 0),
                    round(0, 1, 0),
                    round(1, 0, 0),
                    round(0, 0, 0)
                ]
            );
            let seen = seen.lock().unwrap().clone();
            assert_eq!(seen.len(), 3);
            for (sig, body) in &seen {
                assert_eq!(
                    sig,
                    &sign(&secret, body),
                    "signed with the subscription's secret"
                );
                assert_ne!(sig, &sign("another secret", body));
            }
            let notice: serde_json::Value = serde_json::from_slice(&seen[0].1).unwrap();
            assert_eq!(notice["kind"], "ReferralRequested");
            assert_eq!(notice["stream"], "referral/F1");
            assert_eq!(webhook::counts(&store, &lead).await.unwrap(), [0, 1, 0]);
            assert_eq!(hook.kinds, Vec::<String>::new());
        }
    );

    dbtest!(
        a_receiver_that_never_answers_well_fills_the_dead_letter_list,
        |store| {
            let (lead, s1, _, r) = city(&store).await;
            let keys = Keyring::generate();
            let (url, seen) = receiver(None).await;
            subscribe(
                &store,
                &keys,
                &lead,
                &url,
                &["ReferralRequested".into()],
                "desk",
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
            refer(&store, "F1", &s1, &lead, &r).await;
            let rounds = rounds(&store, &keys, &quick(3), &[0, 1, 2, 9]).await;
            assert_eq!(
                rounds,
                [
                    round(0, 1, 0),
                    round(0, 1, 0),
                    round(0, 0, 1),
                    round(0, 0, 0)
                ]
            );
            assert_eq!(seen.lock().unwrap().len(), 3);
            let dead = webhook::dead_letters(&store, &lead, 10).await.unwrap();
            assert_eq!(dead.len(), 1);
            assert_eq!((dead[0].attempts, dead[0].last_status), (3, Some(500)));
            // the institution is told in its feed, and that notice is not posted to the dead hook
            settle(&store, WAIT).await.unwrap();
            let feed =
                yilian_store::notice::feed(&store, &[Audience::Institution(lead.clone())], 0, 10)
                    .await
                    .unwrap();
            assert_eq!(feed.last().unwrap().kind, "WebhookDeadLettered");
            assert_eq!(webhook::counts(&store, &lead).await.unwrap(), [0, 0, 1]);
            // retry now: a fresh round of tries, due at once; another institution cannot
            assert!(
                !retry_now(&store, &s1, dead[0].delivery_id, "desk", Utc::now())
                    .await
                    .unwrap()
            );
            assert!(
                retry_now(&store, &lead, dead[0].delivery_id, "desk", Utc::now())
                    .await
                    .unwrap()
            );
            assert!(
                !retry_now(&store, &lead, dead[0].delivery_id, "desk", Utc::now())
                    .await
                    .unwrap()
            );
            assert_eq!(webhook::counts(&store, &lead).await.unwrap(), [1, 0, 0]);
            assert_eq!(
                deliver_due(&store, &keys, &quick(3), Utc::now())
                    .await
                    .unwrap()
                    .retried,
                1
            );
        }
    );

    dbtest!(
        a_claimed_delivery_is_not_claimed_twice_and_filters_hold,
        |store| {
            let (lead, s1, _, r) = city(&store).await;
            let keys = Keyring::generate();
            let url = "http://127.0.0.1:9/never";
            subscribe(
                &store,
                &keys,
                &lead,
                url,
                &["ReferralRejected".into()],
                "desk",
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
            subscribe(&store, &keys, &lead, url, &[], "desk", Utc::now())
                .await
                .unwrap()
                .unwrap();
            refer(&store, "F1", &s1, &lead, &r).await;
            // only the unfiltered hook wants a request
            assert_eq!(webhook::counts(&store, &lead).await.unwrap(), [1, 0, 0]);
            let now = Utc::now();
            let mut a = store.begin().await.unwrap();
            let first =
                webhook::claim_due(&mut a, now, now + chrono::Duration::minutes(1), "a", 10)
                    .await
                    .unwrap();
            a.commit().await.unwrap();
            let mut b = store.begin().await.unwrap();
            let second =
                webhook::claim_due(&mut b, now, now + chrono::Duration::minutes(1), "b", 10)
                    .await
                    .unwrap();
            b.commit().await.unwrap();
            assert_eq!((first.len(), second.len()), (1, 0));
            // a late answer under a claim that is not the delivery's is not recorded
            let mut c = store.begin().await.unwrap();
            assert!(
                !webhook::finish(
                    &mut c,
                    first[0].delivery_id,
                    "b",
                    &Outcome::Delivered { status: 200 },
                    now
                )
                .await
                .unwrap()
            );
            c.rollback().await.unwrap();
        }
    );

    #[tokio::test]
    async fn bad_subscriptions_are_refused_naming_the_field() {
        let (_dir, store) = yilian_store::testing::sqlite().await;
        let keys = Keyring::generate();
        let i = InstitutionId::parse("H1").unwrap();
        let e = subscribe(
            &store,
            &keys,
            &i,
            "https://his/hook",
            &[],
            "desk",
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap_err();
        assert!(e.to_string().starts_with("url:"), "{e}");
        let e = subscribe(
            &store,
            &keys,
            &i,
            "http://his/hook",
            &["rejected".into()],
            "desk",
            Utc::now(),
        )
        .await
        .unwrap()
        .unwrap_err();
        assert!(e.to_string().starts_with("kinds:"), "{e}");
    }
}
