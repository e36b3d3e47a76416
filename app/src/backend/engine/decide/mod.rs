//! Deciding prepared checks against their locked counters: judge each check in arrival order against
//! the counters as the earlier checks of the batch left them, then hand back as data the
//! reservations (with the windows they hold), denial events, counter changes and uses of the
//! emergency reserve to alert on. Nothing here reads or writes the database: the writer's routes
//! lock the counters before and send the writes after (`writer/full.rs::decide_checks`).
//!
//! A batch of one is the plain check-and-reserve; a batch of many (`combiner`) gives the same
//! decisions as running them one after another, with one lock and one commit for all.

pub mod counter_changes;
pub mod holds;

use crate::backend::engine::counters::{
    lock_statement_with_overrides, to_columns, window_usage, Columns, Locked, ZERO,
};
use crate::backend::engine::decide::counter_changes::CounterChanges;
use crate::backend::engine::prepare::budgets::ApplicableBudget;
use crate::backend::engine::prepare::reserve::{CheckOutcome, PreparedCheck};
use crate::backend::engine::status::report;
use crate::backend::engine::{events, EngineError, Writes};
use crate::backend::entities::{budget, budget_counter, budget_event, reservation};
use chrono::{DateTime, Utc};
use holds::Hold;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryTrait, Set, Statement};
use std::collections::HashMap;
use std::sync::Arc;
use tollgate_domain::enforcement::combine;
use tollgate_domain::{evaluate, CheckRequest, Decision, Usage, Window, WindowUsage};
use uuid::Uuid;

/// Rows per multi-row insert, well under both databases' limits on bound values.
const CHUNK: usize = 200;

/// A check's outcome as its batch decided it, with the figures of the budgets its answer lists
/// (`include_budgets`) as the batch left them. The batch only gathers the figures: the reports are
/// made by `answer`, off the check writer, whose time every check of the next batch waits for.
#[derive(Debug)]
pub struct Decided {
    outcome: CheckOutcome,
    budgets: Arc<[ApplicableBudget]>,
    figures: Vec<(Window, WindowUsage)>,
}

impl Decided {
    pub fn answer(self) -> CheckOutcome {
        let budgets = self.budgets.iter().zip(self.figures);
        let reports = budgets
            .map(|(budget, (window, usage))| report(budget, window, usage.spent, usage.reserved, usage.overrides));
        CheckOutcome { budgets: reports.collect(), ..self.outcome }
    }
}

/// A batch decided against its counters.
pub struct DecidedBatch {
    pub decided: Vec<Decided>,
    /// The reservations and denial events to insert.
    pub inserts: Writes,
    pub changes: CounterChanges,
    /// Every counter the batch read, as the batch leaves it, with its budget's active overrides.
    pub counters: Locked,
    /// Critical calls admitted beyond a hard level, to audit and alert on with the batch's writes.
    pub reserve_uses: Vec<ReserveUse>,
}

/// A critical call admitted beyond a budget's hard level from its emergency reserve.
#[derive(Debug, Clone)]
pub struct ReserveUse {
    pub budget: budget::Model,
    pub window_start: DateTime<Utc>,
    pub reservation_id: Uuid,
    pub reasons: Vec<String>,
    /// Who called, as the check named them.
    pub user: String,
    pub project: String,
    pub at: DateTime<Utc>,
}

impl DecidedBatch {
    /// The outcomes, the inserts and counter changes as writes to send, and the counters.
    pub fn into_writes(self, txn: &impl ConnectionTrait) -> (Vec<Decided>, Writes, Locked) {
        let mut writes = self.inserts;
        self.changes.add_to(&mut writes, txn);
        (self.decided, writes, self.counters)
    }
}

/// Decides the checks against their counters, already locked (each with its budget's active
/// overrides), after the people they see for the first time were registered (`users`). Pure: the
/// writes come back as statements for `backend`, the alerts as `reserve_uses`.
pub fn decide_locked(
    backend: DbBackend,
    checks: &[&PreparedCheck],
    windows: &[Vec<Window>],
    users: &HashMap<(Uuid, String), Uuid>,
    locked: Locked,
) -> Result<DecidedBatch, EngineError> {
    let overrides: HashMap<Uuid, Usage> = locked.iter().map(|((id, _), (_, extra))| (*id, *extra)).collect();
    let mut counters: HashMap<(Uuid, DateTime<Utc>), budget_counter::Model> =
        locked.into_iter().map(|(key, (counter, _))| (key, counter)).collect();

    let mut changes = CounterChanges::default();
    let (mut reservations, mut denials, mut reserve_uses) = (Vec::new(), Vec::new(), Vec::new());
    let mut outcomes = Vec::with_capacity(checks.len());
    for (check, windows) in checks.iter().zip(windows) {
        let chain = match &check.new_user {
            Some(handle) => {
                tollgate_domain::OperationChain { user: users[&(check.org.id, handle.clone())], ..check.chain }
            }
            None => check.chain,
        };
        let counter_of = |counters: &HashMap<(Uuid, DateTime<Utc>), budget_counter::Model>, id: Uuid, w: &Window| {
            counters.get(&(id, w.start)).cloned().ok_or(sea_orm::DbErr::RecordNotFound(format!("counter of {id}")))
        };
        let request = CheckRequest { amount: check.estimate, critical: check.input.critical, now: check.now };
        let mut verdicts = Vec::with_capacity(check.budgets.len());
        for (budget, window) in check.budgets.iter().zip(windows) {
            let extra = overrides.get(&budget.model.id).copied().unwrap_or_default();
            let counter = counter_of(&counters, budget.model.id, window)?;
            verdicts.push(evaluate(&budget.rules, &window_usage(&counter, extra), &request));
        }
        let (decision, decided_by) = combine(&verdicts);
        let reserving = decision != Decision::Deny && check.input.reserve;

        let mut reservation_id = None;
        if reserving {
            let id = Uuid::now_v7();
            let estimate = to_columns(&check.estimate)?;
            let mut held = Vec::with_capacity(verdicts.len());
            for (verdict, window) in verdicts.iter().zip(windows) {
                held.push(Hold { budget_id: verdict.budget_id, window_start: window.start });
                let counter = counters.get_mut(&(verdict.budget_id, window.start)).expect("locked above");
                hold_on(counter, estimate)?;
                changes.add(verdict.budget_id, window.start, ZERO, estimate)?;
                if verdict.crosses_hard && counter.hard_crossed_at.is_none() {
                    counter.hard_crossed_at = Some(check.now);
                    changes.mark_hard_crossed(verdict.budget_id, window.start, check.now);
                }
                if verdict.uses_reserve {
                    let budget = check.budgets.iter().find(|b| b.model.id == verdict.budget_id);
                    reserve_uses.push(ReserveUse {
                        budget: budget.expect("a verdict is of one of the check's budgets").model.clone(),
                        window_start: window.start,
                        reservation_id: id,
                        reasons: verdict.reasons.clone(),
                        user: check.input.operation.user.clone(),
                        project: check.input.operation.project.clone(),
                        at: check.now,
                    });
                }
            }
            reservations.push(reservation::ActiveModel {
                id: Set(id),
                org_id: Set(check.org.id),
                user_id: Set(chain.user),
                project_id: Set(chain.project),
                category_id: Set(chain.category),
                model: Set(check.input.operation.model.clone()),
                cost: Set(estimate[0]),
                tokens: Set(estimate[1]),
                operations: Set(estimate[2]),
                state: Set("active".into()),
                critical: Set(check.input.critical),
                created_at: Set(check.now),
                expires_at: Set(check.expires_at),
                holds: Set(holds::to_column(&held)),
                api_key_id: Set(check.key_id),
            });
            reservation_id = Some(id);
        }
        if let (Decision::Deny, Some(budget_id)) = (decision, decided_by) {
            let window_start =
                check.budgets.iter().zip(windows).find(|(b, _)| b.model.id == budget_id).map(|(_, w)| w.start);
            let reasons: Vec<String> =
                verdicts.iter().filter(|v| v.budget_id == budget_id).flat_map(|v| v.reasons.clone()).collect();
            let detail = serde_json::json!({ "user": check.input.operation.user, "project": check.input.operation.project,
                                             "reasons": reasons });
            denials.push(events::event(check.org.id, Some(budget_id), "denied", window_start, detail, check.now));
        }
        let listed = if check.input.include_budgets { check.budgets.len() } else { 0 };
        let mut figures = Vec::with_capacity(listed);
        for (budget, window) in check.budgets.iter().zip(windows).take(listed) {
            let extra = overrides.get(&budget.model.id).copied().unwrap_or_default();
            figures.push((*window, window_usage(&counter_of(&counters, budget.model.id, window)?, extra)));
        }
        let outcome = CheckOutcome {
            decision,
            reservation_id,
            expires_at: reservation_id.map(|_| check.expires_at),
            decided_by,
            reasons: verdicts.into_iter().flat_map(|v| v.reasons).collect(),
            estimate: check.estimate,
            budgets: Vec::new(),
            request_more: decided_by
                .filter(|_| decision == Decision::Deny)
                .map(|id| format!("/api/v1/budgets/{id}/requests")),
            request_more_page: decided_by.filter(|_| decision == Decision::Deny).map(|id| format!("/budgets/{id}#ask")),
        };
        outcomes.push(Decided { outcome, budgets: check.budgets.clone(), figures });
    }

    let mut inserts = Writes::default();
    for chunk in reservations.chunks(CHUNK) {
        inserts.push_for(backend, &reservation::Entity::insert_many(chunk.to_vec()).into_query());
    }
    for chunk in denials.chunks(CHUNK) {
        inserts.push_for(backend, &budget_event::Entity::insert_many(chunk.to_vec()).into_query());
    }
    let counters = counters
        .into_iter()
        .map(|(key, counter)| (key, (counter, overrides.get(&key.0).copied().unwrap_or_default())))
        .collect();
    Ok(DecidedBatch { decided: outcomes, inserts, changes, counters, reserve_uses })
}

/// Adds a reservation's estimate to a counter's reserved amounts, all or nothing: an estimate that
/// would take one past the counters' range fails the check (`CounterLimit`), never wraps.
fn hold_on(counter: &mut budget_counter::Model, [cost, tokens, operations]: Columns) -> Result<(), EngineError> {
    let add = |now: i64, more: i64| now.checked_add(more).ok_or(EngineError::CounterLimit);
    let (cost, tokens, operations) = (
        add(counter.cost_reserved, cost)?,
        add(counter.tokens_reserved, tokens)?,
        add(counter.operations_reserved, operations)?,
    );
    (counter.cost_reserved, counter.tokens_reserved, counter.operations_reserved) = (cost, tokens, operations);
    Ok(())
}

/// The statement `decide_checks` locks these checks' counters with, for the SQLite writer to send
/// ahead of them (`SqliteBatchTxn::read_ahead`).
pub fn counters_read(backend: DbBackend, checks: &[&PreparedCheck]) -> Option<Statement> {
    lock_statement_with_overrides(backend, &windows_and_pairs(checks).1, latest(checks), Vec::new())
}

/// Each check's budget windows at its time, and all of them as (budget, window) pairs.
pub fn windows_and_pairs(checks: &[&PreparedCheck]) -> (Vec<Vec<Window>>, Vec<(Uuid, Window)>) {
    let windows: Vec<Vec<Window>> =
        checks.iter().map(|c| c.budgets.iter().map(|b| b.period.window_at(c.now, c.tz)).collect()).collect();
    let pairs = checks
        .iter()
        .zip(&windows)
        .flat_map(|(c, ws)| c.budgets.iter().map(|b| b.model.id).zip(ws.iter().copied()))
        .collect();
    (windows, pairs)
}

pub fn latest(checks: &[&PreparedCheck]) -> DateTime<Utc> {
    checks.iter().map(|c| c.now).max().unwrap_or_default()
}
