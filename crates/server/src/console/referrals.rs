//! Referrals in the console (issue 4, item 8): the referral desk's inbox with the moves the
//! desk owns, the referrer's outbox with each referral's status and returned outcome, and
//! the form that refers a person (booking a slot on the spot when a pool is named: a
//! reserved one for primary care, QUOTA-1; or, for a down-referral, sending the care plan
//! to a family-doctor team, REF-1). Each referral shows its clock: the stage's deadline and
//! whether it was escalated. Everything goes through the same functions as the API.

use super::escape;
use super::frame::{PageCtx, error_in, or_error};
use super::routing::PanelQuery;
use crate::AppState;
use crate::access::Who;
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::i18n::Label;
use crate::routes::bookings::{BookingInput, book_for};
use crate::routes::referrals::{
    ActionInput, CarePlanDto, FollowUpDto, MedicationDto, ReferralInput, act_on, list, open,
};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use std::fmt::Write;
use yilian_domain::policy::Lang;
use yilian_domain::referral::{Direction, Referral, Status};
use yilian_store::referral::Side;

/// The moves the receiver can make, as (command, label, needs a text field). A team
/// confirms its first visit to a down-referred patient without a booked slot.
fn moves(r: &Referral) -> &'static [(&'static str, Label, Option<&'static str>)] {
    match r.status {
        Status::Requested => &[
            ("accept", Label::Accept, None),
            ("reject", Label::Reject, Some("reason")),
        ],
        Status::Accepted if r.opened.direction == Direction::Down => {
            &[("arrive", Label::ConfirmFirstVisit, None)]
        }
        Status::Accepted => &[("schedule", Label::Schedule, Some("at"))],
        Status::Scheduled => &[("arrive", Label::Arrive, None)],
        Status::Arrived => &[("complete", Label::Complete, Some("outcome"))],
        Status::Rejected | Status::Completed | Status::Cancelled | Status::Expired => &[],
    }
}

fn status_name(s: Status, lang: Lang) -> String {
    match lang {
        Lang::Zh => s.zh().to_owned(),
        Lang::En => s.as_str().to_owned(),
    }
}

/// The stage's deadline, marked when the clock has escalated it.
fn deadline_cell(state: &AppState, ctx: &PageCtx, r: &Referral) -> String {
    let Some(due) = yilian_service::referral::deadline(r, &state.profile) else {
        return String::new();
    };
    let badge = match r.escalation {
        0 => String::new(),
        1 => format!(" <mark class=\"overdue\">{}</mark>", ctx.t(Label::Overdue1)),
        _ => format!(" <mark class=\"overdue\">{}</mark>", ctx.t(Label::Overdue2)),
    };
    format!("{}{badge}", yilian_service::china_time(due))
}

/// A down-referral's care plan, folded.
fn care_plan_cell(ctx: &PageCtx, r: &Referral) -> String {
    let Some(p) = &r.opened.care_plan else {
        return String::new();
    };
    let mut out = format!(
        "<details class=\"care-plan\"><summary>{} · {}</summary><p>{}</p><ul>",
        ctx.t(Label::CarePlanShort),
        escape(&p.diagnosis),
        escape(&p.plan)
    );
    for m in &p.medications {
        let _ = write!(
            out,
            "<li>{} {} {}</li>",
            escape(&m.name),
            escape(&m.dose),
            escape(&m.frequency)
        );
    }
    for f in &p.follow_ups {
        let _ = write!(out, "<li>{} {}</li>", f.due, escape(&f.task));
    }
    out.push_str("</ul></details>");
    out
}

fn table(state: &AppState, ctx: &PageCtx, rows: &[Referral], inbox: bool) -> String {
    if rows.is_empty() {
        return format!("<p>{}</p>\n", ctx.t(Label::NoEntries));
    }
    let mut out = String::from("<table class=\"referrals\"><thead><tr>");
    for l in [
        Label::ReferralId,
        Label::Person,
        if inbox { Label::From } else { Label::To },
        Label::Urgency,
        Label::Status,
        Label::Deadline,
        Label::Outcome,
    ] {
        let _ = write!(out, "<th scope=\"col\">{}</th>", ctx.t(l));
    }
    if inbox {
        let _ = write!(out, "<th scope=\"col\">{}</th>", ctx.t(Label::Action));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        let o = &r.opened;
        let _ = write!(
            out,
            "<tr data-referral=\"{id}\" data-status=\"{st}\" data-escalation=\"{esc}\"><td><code>{id}</code></td><td><a href=\"/persons/{p}?purpose=referral\">{p}</a></td><td>{other}</td><td>{u}</td><td>{status}</td><td>{due}</td><td>{outcome}{plan}</td>",
            esc = r.escalation,
            due = deadline_cell(state, ctx, r),
            plan = care_plan_cell(ctx, r),
            id = escape(o.id.as_str()),
            st = r.status.as_str(),
            p = escape(o.resident.as_str()),
            other = escape(if inbox {
                o.from.as_str()
            } else {
                o.to.as_str()
            }),
            u = if o.priority {
                format!(
                    "{} <mark class=\"priority\">{}</mark>",
                    escape(o.urgency.zh()),
                    ctx.t(Label::Priority)
                )
            } else {
                escape(o.urgency.zh())
            },
            status = status_name(r.status, ctx.lang),
            outcome = r.outcome.as_deref().map(escape).unwrap_or_default(),
        );
        if inbox {
            out.push_str("<td>");
            for (command, label, field) in moves(r) {
                let input = match field {
                    Some("at") => "<input type=\"datetime-local\" name=\"at\" required> <input name=\"booking\" required maxlength=\"128\" placeholder=\"booking\">".to_owned(),
                    Some(f) => format!("<input name=\"{f}\" required maxlength=\"2000\">"),
                    None => String::new(),
                };
                let _ = write!(
                    out,
                    "<form method=\"post\" action=\"/referrals/{id}/actions\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"command\" value=\"{command}\">{input} <button type=\"submit\" data-command=\"{command}\">{label}</button></form> ",
                    id = escape(o.id.as_str()),
                    csrf = ctx.csrf_field(),
                    label = ctx.t(*label),
                );
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

async fn page_body(
    state: &AppState,
    ctx: &PageCtx,
    who: &Who,
    q: &PanelQuery,
) -> Result<Response, ApiError> {
    let routing = super::routing::panel(state, ctx, who, q).await;
    let inbox = list(state, who, Side::Received).await?;
    let outbox = list(state, who, Side::Sent).await?;
    let mut body = String::new();
    let _ = write!(
        body,
        "{routing}<section class=\"panel\"><h2>{new}</h2>\
         <form method=\"post\" action=\"/referrals\">{csrf}\
         <p><label for=\"resident_id\">{rid}</label> <input id=\"resident_id\" name=\"resident_id\" required maxlength=\"128\"> \
         <label for=\"to_institution_id\">{to}</label> <input id=\"to_institution_id\" name=\"to_institution_id\" required maxlength=\"128\"></p>\
         <p><label for=\"urgency\">{urg}</label> <select id=\"urgency\" name=\"urgency\"><option value=\"routine\">常规 routine</option><option value=\"urgent\">加急 urgent</option><option value=\"emergency\">急诊 emergency</option></select> \
         <label for=\"direction\">{dir}</label> <select id=\"direction\" name=\"direction\"><option value=\"up\">上转 up</option><option value=\"down\">下转 down</option><option value=\"lateral\">平转 lateral</option><option value=\"external\">外转 external</option></select></p>\
         <p><label for=\"pool_id\">{pool}</label> <input id=\"pool_id\" name=\"pool_id\" maxlength=\"128\"></p>\
         <p><label for=\"reason\">{reason}</label><br><textarea id=\"reason\" name=\"reason\" required maxlength=\"2000\" rows=\"3\" cols=\"60\"></textarea></p>\
         <fieldset class=\"down\"><legend>{down}</legend>\
         <p><label for=\"team_id\">{team}</label> <input id=\"team_id\" name=\"team_id\" maxlength=\"128\"> \
         <label for=\"diagnosis\">{diagnosis}</label> <input id=\"diagnosis\" name=\"diagnosis\" maxlength=\"2000\"></p>\
         <p><label for=\"medications\">{meds}</label><br><textarea id=\"medications\" name=\"medications\" maxlength=\"5000\" rows=\"3\" cols=\"60\"></textarea></p>\
         <p><label for=\"plan\">{plan}</label><br><textarea id=\"plan\" name=\"plan\" maxlength=\"2000\" rows=\"2\" cols=\"60\"></textarea></p>\
         <p><label for=\"follow_ups\">{follow}</label><br><textarea id=\"follow_ups\" name=\"follow_ups\" maxlength=\"5000\" rows=\"2\" cols=\"60\"></textarea></p>\
         </fieldset>\
         <p><button type=\"submit\">{submit}</button></p></form></section>\n\
         <section class=\"panel\"><h2>{inbox_h}</h2>\n{inbox}</section>\n<section class=\"panel\"><h2>{outbox_h}</h2>\n{outbox}</section>\n",
        new = ctx.t(Label::NewReferral),
        csrf = ctx.csrf_field(),
        rid = ctx.t(Label::ResidentId),
        to = ctx.t(Label::To),
        urg = ctx.t(Label::Urgency),
        dir = ctx.t(Label::Direction),
        reason = ctx.t(Label::Reason),
        pool = ctx.t(Label::BookPool),
        down = ctx.t(Label::DownReferral),
        team = ctx.t(Label::Team),
        diagnosis = ctx.t(Label::Diagnosis),
        meds = ctx.t(Label::Medications),
        plan = ctx.t(Label::CarePlanText),
        follow = ctx.t(Label::FollowUps),
        submit = ctx.t(Label::Refer),
        inbox_h = ctx.t(Label::Inbox),
        outbox_h = ctx.t(Label::Outbox),
        inbox = table(state, ctx, &inbox, true),
        outbox = table(state, ctx, &outbox, false),
    );
    Ok(ctx.ok(ctx.t(Label::NavReferrals), &body))
}

/// `GET /referrals`.
pub(crate) async fn referrals_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Query(q): Query<PanelQuery>,
) -> Response {
    or_error(&ctx, page_body(&state, &ctx, &who, &q).await)
}

/// The new-referral form's fields; with a pool, a slot is booked on the spot.
#[derive(Debug, Deserialize)]
pub(crate) struct NewReferralForm {
    resident_id: String,
    to_institution_id: String,
    direction: String,
    urgency: String,
    reason: String,
    pool_id: Option<String>,
    team_id: Option<String>,
    diagnosis: Option<String>,
    medications: Option<String>,
    plan: Option<String>,
    follow_ups: Option<String>,
}

/// The non-blank lines of a text area, numbered from 1 for the error a person reads.
fn lines(text: Option<&str>) -> impl Iterator<Item = (usize, &str)> {
    text.unwrap_or_default()
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

impl NewReferralForm {
    /// The care plan the form's down-referral fields describe; none when they are all
    /// empty (the domain then refuses a down-referral without one, REF-1).
    fn care_plan(&self) -> Result<Option<CarePlanDto>, ApiError> {
        let field = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        let (diagnosis, plan) = (field(&self.diagnosis), field(&self.plan));
        let medications = lines(self.medications.as_deref())
            .map(
                |(n, l)| match l.split('|').map(str::trim).collect::<Vec<_>>()[..] {
                    [name, dose, frequency] => Ok(MedicationDto {
                        name: name.to_owned(),
                        dose: dose.to_owned(),
                        frequency: frequency.to_owned(),
                    }),
                    _ => Err(ApiError::invalid(
                        "medications",
                        format!("第 {n} 行应为“药名 | 剂量 | 频次”"),
                        format!("line {n} is not 'name | dose | frequency'"),
                    )),
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        let follow_ups = lines(self.follow_ups.as_deref())
            .map(|(n, l)| {
                let (date, task) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                let due = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                    ApiError::invalid(
                        "follow_ups",
                        format!("第 {n} 行应以日期 YYYY-MM-DD 开头"),
                        format!("line {n} does not start with a date YYYY-MM-DD"),
                    )
                })?;
                Ok(FollowUpDto {
                    due,
                    task: task.trim().to_owned(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let empty = diagnosis.is_empty()
            && plan.is_empty()
            && medications.is_empty()
            && follow_ups.is_empty();
        Ok((!empty).then_some(CarePlanDto {
            diagnosis,
            medications,
            plan,
            follow_ups,
        }))
    }
}

/// `POST /referrals`.
pub(crate) async fn open_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Form(f): Form<NewReferralForm>,
) -> Response {
    // the referral's id is made here so that the slot's booking key can name it: a
    // resubmitted form books the same slot again, not a second one
    let id = format!("F{}", &yilian_service::auth::random_hex().reveal()[..15]);
    let resident_id = f.resident_id.trim().to_owned();
    let result = async {
        let care_plan = f.care_plan()?;
        if let Some(pool) = f
            .pool_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let booking = BookingInput {
                key: format!("{id}-slot"),
                pool_id: pool.to_owned(),
                resident_id: resident_id.clone(),
            };
            book_for(&state, &who, &booking).await?;
        }
        let input = ReferralInput {
            id: Some(id.clone()),
            resident_id: resident_id.clone(),
            to_institution_id: f.to_institution_id.trim().to_owned(),
            direction: f.direction.clone(),
            urgency: f.urgency.clone(),
            reason: f.reason.clone(),
            team_id: f
                .team_id
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            care_plan,
        };
        open(&state, &who, &input).await
    };
    match result.await {
        Ok(_) => Redirect::to("/referrals").into_response(),
        Err(e) => error_in(&ctx, &e),
    }
}

/// A move's form fields; `at` is a local (China) date and time from the browser.
#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    command: String,
    reason: Option<String>,
    at: Option<String>,
    booking: Option<String>,
    outcome: Option<String>,
}

/// `POST /referrals/{id}/actions`.
pub(crate) async fn act_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    who: Who,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let at = match f.at.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
            Ok(local) => yilian_domain::china()
                .from_local_datetime(&local)
                .single()
                .map(|t| t.with_timezone(&chrono::Utc)),
            Err(_) => {
                let e = ApiError::invalid(
                    "at",
                    "时间格式应为 YYYY-MM-DDTHH:MM",
                    "a time is YYYY-MM-DDTHH:MM",
                );
                return error_in(&ctx, &e);
            }
        },
    };
    let input = ActionInput {
        command: f.command,
        reason: f.reason,
        to: None,
        at,
        booking: f.booking,
        outcome: f.outcome,
    };
    match act_on(&state, &who, &id, &input).await {
        Ok(_) => Redirect::to("/referrals").into_response(),
        Err(e) => error_in(&ctx, &e),
    }
}
