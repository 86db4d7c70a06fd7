//! Residents' records in the console: find one by resident id or by the ID card in front
//! of the desk, read it (identifiers masked unless the role needs them), open it in an
//! emergency with a typed reason, and, for a family doctor, the team's signed residents.
//! Every read goes through [`read_person`], so it is authorised and audited exactly as
//! through the API.

use super::escape;
use super::frame::{PageCtx, error_in, error_with, or_error};
use crate::AppState;
use crate::access::{Ask, Purpose, Who, authorize};
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::i18n::Label;
use crate::routes::persons::{PersonDto, read_person, resident_id};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write;
use yilian_domain::access::{
    Action, ActionKind, IdCardNo, NonEmptyReason, Resource, Role, Scope, can_attempt,
};
use yilian_store::registry::{self, ResidentFilter};

/// Residents listed per team on the persons page.
const TEAM_LIST_ROWS: u32 = 50;

/// `?id=` of the find form, `?purpose=` of a read.
#[derive(Debug, Deserialize)]
pub(crate) struct PersonQuery {
    id: Option<String>,
    purpose: Option<Purpose>,
}

fn purpose_options(ctx: &PageCtx) -> String {
    let mut s = format!(
        "<label for=\"purpose\">{}</label> <select id=\"purpose\" name=\"purpose\">",
        ctx.t(Label::Purpose)
    );
    for (code, zh, en) in [
        ("treatment", "诊疗", "treatment"),
        ("referral", "转诊", "referral"),
        ("contract_care", "签约服务", "contract care"),
        ("public_health", "公共卫生", "public health"),
    ] {
        let text = if ctx.lang == yilian_domain::policy::Lang::Zh {
            zh
        } else {
            en
        };
        let _ = write!(s, "<option value=\"{code}\">{text}</option>");
    }
    s.push_str("</select>");
    s
}

/// `GET /persons`: the find forms, and each family-doctor team's residents.
pub(crate) async fn persons_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Query(q): Query<PersonQuery>,
) -> Response {
    if let Some(id) = q.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let purpose = q.purpose.unwrap_or(Purpose::Treatment).as_str();
        let target = format!(
            "/persons/{}?purpose={purpose}",
            form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        );
        return Redirect::to(&target).into_response();
    }
    or_error(&ctx, persons_body(&state, &ctx, &who).await)
}

async fn persons_body(state: &AppState, ctx: &PageCtx, who: &Who) -> Result<Response, ApiError> {
    let mut body = String::new();
    let _ = write!(
        body,
        "<section class=\"panel\"><h2>{find}</h2>\n\
         <form method=\"get\" action=\"/persons\"><p><label for=\"id\">{rid}</label> \
         <input id=\"id\" name=\"id\" required maxlength=\"128\"> {purpose} <button type=\"submit\">{open}</button></p></form>\n\
         <form method=\"post\" action=\"/persons/lookup\">{csrf}<p><label for=\"id_card\">{idc}</label> \
         <input id=\"id_card\" name=\"id_card\" required minlength=\"18\" maxlength=\"18\" autocomplete=\"off\"> \
         <button type=\"submit\">{search}</button></p></form>\n</section>\n",
        find = ctx.t(Label::FindResident),
        rid = ctx.t(Label::ResidentId),
        purpose = purpose_options(ctx),
        open = ctx.t(Label::Open),
        csrf = ctx.csrf_field(),
        idc = ctx.t(Label::IdCardNumber),
        search = ctx.t(Label::Search),
    );
    let teams: Vec<_> = who
        .signed_in
        .actor
        .grants
        .iter()
        .filter(|g| g.role() == Role::FamilyDoctor)
        .filter_map(|g| match g.scope() {
            Scope::Team(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    if !teams.is_empty() {
        let reg = state.registry().await?;
        for team in teams {
            let resource = Resource::Export {
                scope: Scope::Team(team.clone()),
            };
            let ask = Ask {
                action: &Action::ExportPersons,
                resource: &resource,
                purpose: Purpose::ContractCare.as_str(),
                detail: serde_json::json!({"list": "team residents", "rows_max": TEAM_LIST_ROWS}),
            };
            authorize(state, &reg, who, ask).await?;
            let filter = ResidentFilter {
                grid: None,
                team: Some(&team),
            };
            let rows = registry::residents_page(&state.store, filter, None, TEAM_LIST_ROWS).await?;
            let _ = write!(
                body,
                "<section class=\"panel\"><h2>{} <code>{}</code></h2>\n<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>\n",
                ctx.t(Label::TeamResidents),
                escape(team.as_str()),
                ctx.t(Label::ResidentId),
                ctx.t(Label::Sex),
                ctx.t(Label::BirthDate),
                ctx.t(Label::Conditions),
            );
            for r in rows {
                let _ = writeln!(
                    body,
                    "<tr><td><a href=\"/persons/{id}?purpose=contract_care\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    r.sex.as_str(),
                    r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                    escape(&r.conditions.join(", ")),
                    id = escape(r.id.as_str()),
                );
            }
            body.push_str("</tbody></table></section>\n");
        }
    }
    Ok(ctx.ok(ctx.t(Label::NavPersons), &body))
}

/// A record as a definition list.
fn record_html(ctx: &PageCtx, p: &PersonDto) -> String {
    let yes_no = |b: bool| ctx.t(if b { Label::Yes } else { Label::No });
    let opt = |s: &Option<String>| s.as_deref().map(escape).unwrap_or_default();
    let rows: [(Label, String); 11] = [
        (Label::ResidentId, escape(&p.id)),
        (Label::Name, opt(&p.name)),
        (Label::IdCardNumber, opt(&p.id_card)),
        (Label::Phone, opt(&p.phone)),
        (Label::Sex, p.sex.to_owned()),
        (
            Label::BirthDate,
            p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (Label::Grids, opt(&p.grid_id)),
        (Label::Team, opt(&p.team_id)),
        (
            Label::SignedOn,
            p.signed_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (Label::Conditions, escape(&p.conditions.join(", "))),
        (Label::Pregnant, yes_no(p.pregnant).to_owned()),
    ];
    let mut s = String::from("<section class=\"panel\"><dl class=\"record\">\n");
    for (label, value) in rows {
        let _ = writeln!(s, "<dt>{}</dt><dd>{value}</dd>", ctx.t(label));
    }
    s.push_str("</dl>\n");
    if p.masked {
        let _ = writeln!(s, "<p class=\"muted\">{}</p>", ctx.t(Label::MaskedNote));
    }
    s.push_str("</section>\n");
    s
}

/// The break-glass form, for those whose roles may use it.
fn break_glass_form(ctx: &PageCtx, id: &str) -> String {
    format!(
        "<section class=\"panel\"><h2>{bg}</h2><p>{help}</p>\
         <form method=\"post\" action=\"/persons/{id}/break-glass\">{csrf}\
         <p><label for=\"reason\">{reason}</label><br><textarea id=\"reason\" name=\"reason\" required maxlength=\"500\" rows=\"3\" cols=\"60\"></textarea></p>\
         <p><button type=\"submit\">{bg}</button></p></form></section>\n",
        bg = ctx.t(Label::BreakGlass),
        help = ctx.t(Label::BreakGlassHelp),
        id = escape(id),
        csrf = ctx.csrf_field(),
        reason = ctx.t(Label::Reason),
    )
}

/// `GET /persons/{id}`: the record, or the refusal with the break-glass form.
pub(crate) async fn person_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Path(id): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Response {
    let purpose = q.purpose.unwrap_or(Purpose::Treatment);
    let read = async {
        let rid = resident_id("id", &id)?;
        read_person(&state, &who, &rid, &Action::ReadPerson, purpose).await
    };
    match read.await {
        Ok(p) => ctx.ok(&p.id, &record_html(&ctx, &p)),
        Err(e @ ApiError::Forbidden(_))
            if can_attempt(&who.signed_in.actor, ActionKind::BreakGlassReadPerson).is_ok() =>
        {
            // the refusal stands (403); the form under it is the way forward
            error_with(&ctx, &e, &break_glass_form(&ctx, &id))
        }
        Err(e) => error_in(&ctx, &e),
    }
}

/// The break-glass form's field.
#[derive(Debug, Deserialize)]
pub(crate) struct ReasonInput {
    reason: String,
}

/// `POST /persons/{id}/break-glass`.
pub(crate) async fn break_glass_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Path(id): Path<String>,
    Form(input): Form<ReasonInput>,
) -> Response {
    let read = async {
        let rid = resident_id("id", &id)?;
        let reason = NonEmptyReason::parse(&input.reason)
            .map_err(|e| ApiError::invalid_because("reason", &e))?;
        let action = Action::BreakGlassReadPerson { reason };
        read_person(&state, &who, &rid, &action, Purpose::Treatment).await
    };
    match read.await {
        Ok(p) => {
            let body = format!(
                "<div role=\"status\" class=\"notice\">{}</div>\n{}",
                ctx.t(Label::FlaggedNote),
                record_html(&ctx, &p)
            );
            ctx.ok(&p.id, &body)
        }
        Err(e) => error_in(&ctx, &e),
    }
}

/// The ID-card form's field.
#[derive(Debug, Deserialize)]
pub(crate) struct IdCardInput {
    id_card: String,
}

/// `POST /persons/lookup`: finds a resident by ID number (POST keeps it out of URLs).
pub(crate) async fn lookup_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Form(input): Form<IdCardInput>,
) -> Response {
    let read = async {
        let id = IdCardNo::parse(input.id_card.trim(), yilian_service::today())
            .map_err(|e| ApiError::invalid_because("id_card", &e))?;
        let found = yilian_service::identity::find_by_id_card(&state.store, &state.keyring, &id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                what: "resident",
                id: id.masked(),
            })?;
        read_person(
            &state,
            &who,
            &found,
            &Action::ReadPerson,
            Purpose::Treatment,
        )
        .await
    };
    match read.await {
        Ok(p) => ctx.ok(&p.id, &record_html(&ctx, &p)),
        Err(e) => error_in(&ctx, &e),
    }
}

/// `GET /me`: a resident's own record.
pub(crate) async fn me_page(State(state): State<AppState>, ctx: PageCtx, who: Who) -> Response {
    let own = who
        .signed_in
        .actor
        .grants
        .iter()
        .find_map(|g| match g.scope() {
            Scope::Person(r) => Some(r.clone()),
            _ => None,
        });
    let Some(rid) = own else {
        return error_in(
            &ctx,
            &ApiError::NotFound {
                what: "resident",
                id: who.signed_in.actor.user_id.to_string(),
            },
        );
    };
    match read_person(&state, &who, &rid, &Action::ReadPerson, Purpose::OwnRecord).await {
        Ok(p) => ctx.ok(ctx.t(Label::NavMe), &record_html(&ctx, &p)),
        Err(e) => error_in(&ctx, &e),
    }
}
