//! Override and increase requests: asking, deciding (never one's own), and applying what was approved.

mod apply;
mod queue;
mod scheduled;
pub use queue::{any_due, expire_overdue, view, visible};
pub use scheduled::apply_scheduled;

use crate::auth::Account;
use crate::backend::engine::alerts::{raise, targets::holders, Audience, NewAlert};
use crate::backend::engine::{begin_write, events};
use crate::backend::entities::{budget, budget_request, request_decision, user};
use crate::backend::services::ServiceError;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use tollgate_domain::approval::{self, Ask, RequestKind, Verdict};
use tollgate_domain::figures::{money, thousands};
use tollgate_domain::money::{from_storage, to_storage};
use tollgate_domain::Usage;
use uuid::Uuid;

/// Undecided requests expire after this long.
pub const DECIDE_WITHIN_HOURS: i64 = 72;

pub struct NewRequest {
    pub kind: RequestKind,
    pub cost: Option<Decimal>,
    pub tokens: Option<i64>,
    pub operations: Option<i64>,
    pub until: Option<DateTime<Utc>>,
    /// For increases: raise the limits when the budget's next window starts, not at approval.
    pub from_next_window: bool,
    /// For reallocations: the sibling budget the allowance comes from.
    pub source_budget_id: Option<Uuid>,
    pub reason: String,
}

pub enum Decision {
    Approve { cost: Option<Decimal>, tokens: Option<i64>, operations: Option<i64>, until: Option<DateTime<Utc>> },
    Reject,
    AskForInformation,
}

pub(super) fn invalid(e: impl ToString) -> ServiceError {
    ServiceError::Invalid(e.to_string())
}

fn ask_of(cost: Option<Decimal>, tokens: Option<i64>, operations: Option<i64>, until: Option<DateTime<Utc>>) -> Ask {
    let amount = Usage {
        cost: cost.unwrap_or_default(),
        tokens: Decimal::from(tokens.unwrap_or_default()),
        operations: Decimal::from(operations.unwrap_or_default()),
    };
    Ask { amount, until }
}

pub(super) fn stored_ask(r: &budget_request::Model) -> Ask {
    ask_of(r.cost.map(from_storage), r.tokens, r.operations, r.until)
}

pub(super) fn to_i64(value: Decimal) -> Option<i64> {
    (!value.is_zero()).then(|| value.trunc().try_into().unwrap_or(i64::MAX))
}

fn kind_of(r: &budget_request::Model) -> Result<RequestKind, ServiceError> {
    RequestKind::parse(&r.kind).ok_or_else(|| ServiceError::corrupt(format!("unknown request kind {}", r.kind)))
}

/// Who files a request: a signed-in person (who must belong to the budget), or a service's API key
/// acting for one of the organization's users (the key vouches for them).
pub enum Requester<'a> {
    Person(&'a Account),
    ApiKeyFor { user: &'a user::Model, key: String },
}

/// Files a request; it waits for an approver.
pub async fn create(
    db: &DatabaseConnection,
    requester: Requester<'_>,
    budget_id: Uuid,
    input: NewRequest,
    now: DateTime<Utc>,
) -> Result<Uuid, ServiceError> {
    let (org_id, requester_id, actor) = match &requester {
        Requester::Person(account) => (account.org_id, account.id, account.email.clone()),
        Requester::ApiKeyFor { user, key } => (user.org_id, user.id, format!("{key} for {}", user.handle)),
    };
    let txn = begin_write(db).await?;
    let target = super::budgets::find(&txn, org_id, budget_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("that budget".into()))?;
    if let Requester::Person(account) = requester {
        if !super::access::may_see(&txn, account, &target).await? {
            return Err(ServiceError::forbidden("you may only ask for more on budgets you belong to"));
        }
    }
    let ask = ask_of(input.cost, input.tokens, input.operations, input.until);
    approval::validate(input.kind, &ask, now).map_err(invalid)?;
    if (input.kind == RequestKind::Reallocation) != input.source_budget_id.is_some() {
        return Err(invalid(
            "allowance is moved between budgets from the budget's page (a reallocation), not asked for",
        ));
    }
    if input.from_next_window && input.kind != RequestKind::Increase {
        return Err(invalid("only an increase can start from the next window; an override starts when approved"));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(invalid("give a reason (1 to 2,000 characters) so approvers can decide"));
    }
    let id = Uuid::now_v7();
    budget_request::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        budget_id: Set(budget_id),
        kind: Set(input.kind.as_str().to_owned()),
        requested_by: Set(requester_id),
        cost: Set(input.cost.filter(|c| !c.is_zero()).map(to_storage).transpose().map_err(invalid)?),
        tokens: Set(input.tokens.filter(|t| *t != 0)),
        operations: Set(input.operations.filter(|o| *o != 0)),
        until: Set(input.until),
        reason: Set(reason.to_owned()),
        status: Set("pending".into()),
        decide_by: Set(now + Duration::hours(DECIDE_WITHIN_HOURS)),
        created_at: Set(now),
        decided_at: Set(None),
        from_next_window: Set(input.from_next_window),
        applies_from: Set(None),
        applied_at: Set(None),
        source_budget_id: Set(input.source_budget_id),
    }
    .insert(&txn)
    .await?;
    let detail = json!({ "request": id, "kind": input.kind, "cost": input.cost, "tokens": input.tokens,
                         "operations": input.operations, "until": input.until, "reason": reason,
                         "from_next_window": input.from_next_window });
    events::record_by(&txn, org_id, Some(budget_id), "request_created", detail, &actor, now).await?;
    let approvers: Vec<Uuid> =
        holders(&txn, org_id, "approver").await?.into_iter().filter(|a| *a != requester_id).collect();
    let asked = describe_ask(&target.currency, input.cost, input.tokens, input.operations);
    let notice = NewAlert {
        org_id,
        budget: Some(&target),
        kind: "request",
        limit_kind: None,
        threshold: None,
        window_start: None,
        dedup_key: format!("request:{id}"),
        severity: "info",
        title: format!("{actor} asks for {asked} more on {}", target.name),
        body: format!(
            "A {} request: \"{reason}\". Decide in the approval queue before it expires.",
            input.kind.as_str()
        ),
        detail: json!({ "request": id, "budget_id": budget_id, "link": "/requests" }),
    };
    raise(&txn, notice, Audience::People(approvers), now).await?;
    txn.commit().await?;
    Ok(id)
}

/// Records an approver's decision; when the request is decided, applies it in the same transaction.
pub async fn decide(
    db: &DatabaseConnection,
    approver: &Account,
    request_id: Uuid,
    decision: Decision,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let txn = begin_write(db).await?;
    let request = budget_request::Entity::find_by_id(request_id)
        .filter(budget_request::Column::OrgId.eq(approver.org_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("that request".into()))?;
    approver.actor().may_decide_request(request.requested_by).map_err(|e| ServiceError::forbidden(e.to_string()))?;
    if !matches!(request.status.as_str(), "pending" | "needs_info") {
        return Err(invalid(format!("this request is already {}", request.status)));
    }
    if now > request.decide_by {
        set_status(&txn, request, "expired", now).await?;
        txn.commit().await?;
        return Err(invalid("this request expired undecided; the requester may ask again"));
    }
    let kind = kind_of(&request)?;
    let asked = stored_ask(&request);
    let earlier = decisions(&txn, request.id).await?;
    if earlier.iter().any(|d| d.approver_id == approver.id && d.decision == "approve") {
        return Err(invalid("you have already approved this request; it needs another approver"));
    }
    let (label, granted) = match decision {
        Decision::Approve { cost, tokens, operations, until } => {
            let offered = (cost.is_some() || tokens.is_some() || operations.is_some() || until.is_some()).then(|| {
                ask_of(
                    cost.or(Some(asked.amount.cost)),
                    tokens.or(to_i64(asked.amount.tokens)),
                    operations.or(to_i64(asked.amount.operations)),
                    until,
                )
            });
            ("approve", Some(approval::grant(kind, &asked, offered, now).map_err(invalid)?))
        }
        Decision::Reject => ("reject", None),
        Decision::AskForInformation => ("ask_info", None),
    };
    request_decision::ActiveModel {
        id: Set(Uuid::now_v7()),
        request_id: Set(request.id),
        approver_id: Set(approver.id),
        decision: Set(label.to_owned()),
        cost: Set(granted.map(|g| to_storage(g.amount.cost)).transpose().map_err(invalid)?),
        tokens: Set(granted.and_then(|g| to_i64(g.amount.tokens))),
        operations: Set(granted.and_then(|g| to_i64(g.amount.operations))),
        until: Set(granted.and_then(|g| g.until)),
        comment: Set(comment.trim().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let target = budget::Entity::find_by_id(request.budget_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::corrupt("a row this one refers to is missing"))?;
    let (target_name, requested_by) = (target.name.clone(), request.requested_by);
    let detail = json!({ "request": request.id, "decision": label, "comment": comment.trim() });
    let mut granted_text = None;
    events::record_by(&txn, approver.org_id, Some(target.id), "request_decision", detail, &approver.email, now).await?;
    let status = if label == "ask_info" {
        set_status(&txn, request, "needs_info", now).await?;
        "needs_info".to_owned()
    } else {
        let all = decisions(&txn, request.id).await?;
        match verdict_of(&all, &target, &asked) {
            Verdict::Pending { .. } => "pending".to_owned(),
            Verdict::Rejected => {
                set_status(&txn, request, "rejected", now).await?;
                "rejected".to_owned()
            }
            Verdict::Approved(grant) => {
                granted_text = Some(describe_grant(
                    &target.currency,
                    &grant,
                    approver.time_zone.parse().unwrap_or(chrono_tz::UTC),
                ));
                apply::apply(&txn, approver, &request, kind, target, grant, now).await?;
                set_status(&txn, request, "approved", now).await?;
                "approved".to_owned()
            }
        }
    };
    if status != "pending" {
        let (severity, said) = match status.as_str() {
            "approved" => ("info", "approved"),
            "rejected" => ("warning", "rejected"),
            _ => ("info", "waiting for more information from you"),
        };
        let notice = NewAlert {
            org_id: approver.org_id,
            budget: None,
            kind: "decision",
            limit_kind: None,
            threshold: None,
            window_start: None,
            dedup_key: format!("decision:{request_id}:{}", Uuid::now_v7()),
            severity,
            title: match &granted_text {
                Some(granted) => format!("Your request for more on {target_name} is approved: {granted}"),
                None => format!("Your request for more on {target_name} is {said}"),
            },
            body: match comment.trim() {
                "" => format!("{} decided it.", approver.email),
                text => format!("{} wrote: \"{text}\"", approver.email),
            },
            detail: json!({ "request": request_id, "status": status, "link": "/requests" }),
        };
        raise(&txn, notice, Audience::People(vec![requested_by]), now).await?;
    }
    txn.commit().await?;
    Ok(status)
}

fn approvals_of(all: &[request_decision::Model]) -> Vec<Ask> {
    all.iter()
        .filter(|d| d.decision == "approve")
        .map(|d| ask_of(d.cost.map(from_storage), d.tokens, d.operations, d.until))
        .collect()
}

/// Where the decisions of a request stand under the budget's approval rule.
fn verdict_of(all: &[request_decision::Model], target: &budget::Model, asked: &Ask) -> Verdict {
    let needed = approval::approvals_needed(target.two_approvers_above.map(from_storage), asked);
    approval::verdict(needed, &approvals_of(all), all.iter().any(|d| d.decision == "reject"))
}

/// What an approved request granted (the least of its approvals), whatever the rule is today.
pub(super) fn granted(all: &[request_decision::Model]) -> Option<Ask> {
    match approval::verdict(1, &approvals_of(all), false) {
        Verdict::Approved(grant) => Some(grant),
        _ => None,
    }
}

/// "granted USD 100.00 until 2026-12-08 10:00 CET" for what an approval granted, in the
/// organization's time zone.
fn describe_grant(currency: &str, grant: &Ask, tz: chrono_tz::Tz) -> String {
    let amount =
        describe_ask(currency, Some(grant.amount.cost), to_i64(grant.amount.tokens), to_i64(grant.amount.operations));
    match grant.until {
        Some(until) => format!("granted {amount} until {}", tollgate_domain::time_face::instant_in(tz, until)),
        None => format!("granted {amount}"),
    }
}

/// "USD 50 / 10000 tokens" for the parts of an ask that are set.
fn describe_ask(currency: &str, cost: Option<Decimal>, tokens: Option<i64>, operations: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(c) = cost.filter(|c| !c.is_zero()) {
        parts.push(format!("{currency} {}", money(c)));
    }
    if let Some(t) = tokens.filter(|t| *t != 0) {
        parts.push(format!("{} tokens", thousands(t)));
    }
    if let Some(o) = operations.filter(|o| *o != 0) {
        parts.push(format!("{} operations", thousands(o)));
    }
    parts.join(" / ")
}

/// The requester answers a question from an approver; the request waits for a decision again.
pub async fn answer(
    db: &DatabaseConnection,
    requester: &Account,
    request_id: Uuid,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let txn = begin_write(db).await?;
    let request = budget_request::Entity::find_by_id(request_id)
        .filter(budget_request::Column::RequestedBy.eq(requester.id))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("a request of yours with that id".into()))?;
    if request.status != "needs_info" || note.trim().is_empty() {
        return Err(invalid("answer a request that an approver asked about, with a note"));
    }
    let budget_id = request.budget_id;
    let detail = json!({ "request": request.id, "answer": note.trim() });
    let mut row: budget_request::ActiveModel = request.clone().into();
    row.reason = Set(format!("{}\n\n{}", request.reason, note.trim()));
    row.status = Set("pending".into());
    row.update(&txn).await?;
    events::record_by(&txn, requester.org_id, Some(budget_id), "request_answered", detail, &requester.email, now)
        .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn decisions(
    db: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<request_decision::Model>, ServiceError> {
    Ok(request_decision::Entity::find()
        .filter(request_decision::Column::RequestId.eq(request_id))
        .order_by_asc(request_decision::Column::CreatedAt)
        .all(db)
        .await?)
}

async fn set_status(
    db: &impl ConnectionTrait,
    request: budget_request::Model,
    status: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut row: budget_request::ActiveModel = request.into();
    row.status = Set(status.to_owned());
    row.decided_at = Set(Some(now));
    row.update(db).await?;
    Ok(())
}
