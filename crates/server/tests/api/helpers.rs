//! `spawn_app`: a fresh store loaded with a small synthetic city, and the router on it.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;
use yilian_domain::ids::UserId;
use yilian_domain::policy::Profile;
use yilian_domain::registry::{Consortium, ConsortiumKind, MemberRole, Registry, Team};
use yilian_server::{AppState, router};
use yilian_service::identity::Keyring;
use yilian_store::Store;
use yilian_synth::{City, CityParams, demo_city};

/// Responses are read whole; nothing the tests fetch comes near this.
const RESPONSE_BYTES_MAX: usize = 64 << 20;

/// A running application on a fresh store. Requests go as the city's commission
/// administrator (`admin`, by API token) unless they carry credentials of their own or
/// are sent with [`App::send_raw`].
pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) city: City,
    pub(crate) profile: Profile,
    /// The administrator's API token.
    pub(crate) admin_token: String,
    /// The keys the server seals with (webhook deliveries open their secrets with them).
    pub(crate) keyring: Keyring,
}

/// The password every test user gets.
pub(crate) const TEST_PASSWORD: &str = "Test-Password-2026!";

/// A response, read.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
    pub(crate) fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map_or("", |v| v.to_str().unwrap())
    }
}

/// The demo city with 4 grids and 2 000 residents, stored, under the national profile.
pub(crate) async fn spawn_app(store: Store) -> App {
    spawn_app_with(store, Profile::builtin("national").unwrap()).await
}

/// Same, under `profile`.
pub(crate) async fn spawn_app_with(store: Store, profile: Profile) -> App {
    let city = demo_city(&CityParams {
        seed: 1,
        residents: 2000,
        grids: 4,
    });
    yilian_service::import::store_city(&store, &city.registry, city.residents.clone(), "test")
        .await
        .unwrap();
    let keyring = Keyring::generate();
    let mut app = App {
        router: router(AppState::new(
            store.clone(),
            profile.clone(),
            keyring.clone(),
        )),
        store,
        city,
        profile,
        admin_token: String::new(),
        keyring,
    };
    app.admin_token = app.user_token("admin", "commission_admin@city").await;
    app
}

impl App {
    /// Adds a user with one grant (`ROLE@KIND[:ID]`) and returns an API token for them.
    pub(crate) async fn user_token(&self, id: &str, grant: &str) -> String {
        let uid = UserId::parse(id).unwrap();
        let g = yilian_service::account::parse_grant(grant).unwrap();
        yilian_service::account::add_user(
            &self.store,
            uid.clone(),
            id.into(),
            vec![g],
            Some(TEST_PASSWORD),
            "test",
        )
        .await
        .unwrap();
        let t = yilian_service::auth::create_token(
            &self.store,
            &uid,
            "test",
            30,
            chrono::Utc::now(),
            "test",
        )
        .await
        .unwrap()
        .unwrap();
        t.secret.reveal().to_owned()
    }
    /// A JSON request as the user of `token`: the status and the body.
    pub(crate) async fn call(
        &self,
        token: &str,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |v| Body::from(v.to_string())))
            .unwrap();
        let r = self.send_raw(req).await;
        (r.status, r.json())
    }
    /// The member team of the first urban medical group with the most signed residents,
    /// and those residents' ids.
    pub(crate) fn busiest_member_team(&self) -> (&Team, Vec<String>) {
        let reg = self.registry();
        let group = self.groups()[0];
        let members: Vec<_> = reg
            .members_of(&group.id, None)
            .filter(|m| m.role == MemberRole::Member)
            .map(|m| m.institution_id.clone())
            .collect();
        let signed = |t: &Team| -> Vec<String> {
            self.city
                .residents
                .iter()
                .filter(|r| r.team_id.as_ref() == Some(&t.id))
                .map(|r| r.id.to_string())
                .collect()
        };
        let team = reg
            .teams
            .iter()
            .filter(|t| members.contains(&t.institution_id))
            .max_by_key(|t| signed(t).len())
            .unwrap();
        (team, signed(team))
    }
    /// Sends as the administrator unless the request names its own credentials.
    pub(crate) async fn send(&self, mut req: Request<Body>) -> Reply {
        let h = req.headers();
        if !h.contains_key(header::AUTHORIZATION) && !h.contains_key(header::COOKIE) {
            let bearer = format!("Bearer {}", self.admin_token);
            req.headers_mut()
                .insert(header::AUTHORIZATION, bearer.parse().unwrap());
        }
        self.send_raw(req).await
    }
    /// Sends exactly this request. The body of an event stream is not read (it does not
    /// end): the live-feed tests read it themselves.
    pub(crate) async fn send_raw(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "text/event-stream")
        {
            return Reply {
                status,
                headers,
                body: Bytes::new(),
            };
        }
        let body = axum::body::to_bytes(res.into_body(), RESPONSE_BYTES_MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }
    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }
    pub(crate) async fn get_json(&self, uri: &str) -> (StatusCode, Value) {
        let r = self.get(uri).await;
        (r.status, r.json())
    }
    pub(crate) async fn put_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap();
        let r = self.send(req).await;
        (r.status, r.json())
    }
    pub(crate) fn registry(&self) -> &Registry {
        &self.city.registry
    }
    /// The urban medical groups, by id.
    pub(crate) fn groups(&self) -> Vec<&Consortium> {
        self.registry()
            .consortia
            .iter()
            .filter(|c| c.kind == ConsortiumKind::UrbanMedicalGroup)
            .collect()
    }
    /// Events in the log now.
    pub(crate) async fn event_count(&self) -> usize {
        yilian_store::event::read_after(&self.store, 0, 10_000)
            .await
            .unwrap()
            .len()
    }
}

/// The body of `PUT /consortia/{id}` that restates `c` as the city has it.
pub(crate) fn put_body(reg: &Registry, c: &Consortium) -> Value {
    let members: Vec<Value> = reg
        .members_of(&c.id, None)
        .map(|m| {
            json!({
                "institution_id": m.institution_id.as_str(),
                "role": m.role.as_str(),
                "effective_from": m.validity.from.map(|d| d.to_string()),
                "effective_to": m.validity.to.map(|d| d.to_string()),
            })
        })
        .collect();
    json!({
        "name": c.name,
        "kind": c.kind.as_str(),
        "grid_id": c.grid_id.as_ref().map(|g| g.as_str()),
        "lead_institution_id": c.lead.as_str(),
        "founded_on": c.founded_on.map(|d| d.to_string()),
        "filed_on": c.filed_on.map(|d| d.to_string()),
        "evaluated_on": c.evaluated_on.map(|d| d.to_string()),
        "members": members,
    })
}

/// Asserts the shape every error body has, and returns its code.
pub(crate) fn error_code(body: &Value) -> String {
    let e = &body["error"];
    let zh = e["message_zh"].as_str().unwrap_or_default();
    let en = e["message_en"].as_str().unwrap_or_default();
    assert!(
        !zh.is_empty() && !en.is_empty(),
        "not our error body: {body}"
    );
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "message_zh has no Chinese: {zh}"
    );
    e["code"].as_str().unwrap().to_owned()
}
