//! The budget list: the budgets an account may see, with their current windows, loaded in a fixed
//! number of queries however many budgets the organization has.

use super::access::sees;
use super::budgets::view_with_category;
use super::ServiceError;
use crate::auth::Account;
use crate::backend::engine::{current_reports, BudgetReport};
use crate::backend::entities::{budget, category, organization, project, project_member, team, team_member};
use crate::models::{BudgetRow, BudgetView, ForecastView, LimitUsage, Tile};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};
use tollgate_domain::ScopeKind;
use tollgate_domain::Status;
use uuid::Uuid;

pub struct ListedBudget {
    pub model: budget::Model,
    pub view: BudgetView,
    pub report: BudgetReport,
    pub may_manage: bool,
}

/// Who owns which scope: each project's team and each person's teams.
struct Ownership {
    project_team: HashMap<Uuid, Uuid>,
    person_teams: HashMap<Uuid, Vec<Uuid>>,
    my_projects: HashSet<Uuid>,
}

impl Ownership {
    async fn load(db: &impl ConnectionTrait, org_id: Uuid, account_id: Uuid) -> Result<Self, ServiceError> {
        let projects = project::Entity::find().filter(project::Column::OrgId.eq(org_id)).all(db).await?;
        let teams: Vec<Uuid> = team::Entity::find()
            .select_only()
            .column(team::Column::Id)
            .filter(team::Column::OrgId.eq(org_id))
            .into_tuple()
            .all(db)
            .await?;
        let mut person_teams: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for membership in team_member::Entity::find().filter(team_member::Column::TeamId.is_in(teams)).all(db).await? {
            person_teams.entry(membership.user_id).or_default().push(membership.team_id);
        }
        let my_projects = project_member::Entity::find()
            .filter(project_member::Column::UserId.eq(account_id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.project_id)
            .collect();
        Ok(Ownership { project_team: projects.iter().map(|p| (p.id, p.team_id)).collect(), person_teams, my_projects })
    }

    /// The same answer as `access::owning_teams`, from memory.
    fn owners(&self, kind: ScopeKind, scope_id: Uuid) -> Vec<Uuid> {
        match kind {
            ScopeKind::Organization => Vec::new(),
            ScopeKind::Team => vec![scope_id],
            ScopeKind::Project => self.project_team.get(&scope_id).copied().into_iter().collect(),
            ScopeKind::User => self.person_teams.get(&scope_id).cloned().unwrap_or_default(),
        }
    }
}

/// The organization's budgets by name that `account` may see, each with its current report and
/// whether the account may manage it.
pub async fn visible_budgets(
    db: &impl ConnectionTrait,
    account: &Account,
    org: &organization::Model,
    now: DateTime<Utc>,
) -> Result<Vec<ListedBudget>, ServiceError> {
    let ownership = Ownership::load(db, org.id, account.id).await?;
    let categories: HashMap<Uuid, String> = category::Entity::find()
        .filter(category::Column::OrgId.eq(org.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut visible = Vec::new();
    let mut manageable = Vec::new();
    for model in budget::Entity::find()
        .filter(budget::Column::OrgId.eq(org.id))
        .order_by_asc(budget::Column::Name)
        .all(db)
        .await?
    {
        let kind: ScopeKind = model.scope_kind.parse().map_err(ServiceError::corrupt)?;
        let owners = ownership.owners(kind, model.scope_id);
        let works_on = kind == ScopeKind::Project && ownership.my_projects.contains(&model.scope_id);
        if sees(account, kind, model.scope_id, &owners, works_on) {
            manageable.push(account.actor().may_manage_budget(&owners));
            visible.push(model);
        }
    }
    let reports = current_reports(db, visible.clone(), &org.timezone, now).await?;
    visible
        .into_iter()
        .zip(reports)
        .zip(manageable)
        .map(|((model, report), may_manage)| {
            let category = model.category_id.and_then(|id| categories.get(&id).cloned());
            Ok(ListedBudget { view: view_with_category(model.clone(), category)?, model, report, may_manage })
        })
        .collect()
}

/// The budgets `account` may see, as the budget list shows them: an enabled budget within its
/// limits whose forecast runs out before its window ends is at risk, as on its tile and page.
pub async fn listed_rows(
    db: &impl ConnectionTrait,
    account: &Account,
    org: &organization::Model,
    now: DateTime<Utc>,
) -> Result<Vec<BudgetRow>, ServiceError> {
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let mut rows = Vec::new();
    for listed in visible_budgets(db, account, org, now).await? {
        let may_be_at_risk = listed.view.state == "enabled" && listed.report.status == Status::WithinBudget;
        let model = may_be_at_risk.then(|| listed.model.clone());
        let row = row_of(listed);
        rows.push(match model {
            Some(model) => at_risk(row, forecast(db, &model, tz, now).await?.as_ref()),
            None => row,
        });
    }
    Ok(rows)
}

/// The enabled budgets `account` may see, each with its cost forecast to the window's end.
pub async fn tiles(
    db: &impl ConnectionTrait,
    account: &Account,
    org: &organization::Model,
    now: DateTime<Utc>,
) -> Result<Vec<Tile>, ServiceError> {
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let mut tiles = Vec::new();
    for listed in visible_budgets(db, account, org, now).await?.into_iter().filter(|b| b.view.state == "enabled") {
        let forecast = forecast(db, &listed.model, tz, now).await?;
        tiles.push(Tile { row: at_risk(row_of(listed), forecast.as_ref()), forecast });
    }
    Ok(tiles)
}

/// A budget within its limits whose forecast runs out before its window ends is at risk, not
/// within budget (where the forecast is shown beside it: dashboard tiles, the budget's page).
pub fn at_risk(mut row: BudgetRow, forecast: Option<&ForecastView>) -> BudgetRow {
    let runs_out_early = forecast.and_then(|f| f.exhaustion).is_some_and(|at| at < row.window_end);
    if row.status == Status::WithinBudget.as_str() && runs_out_early {
        row.status = "at_risk".into();
    }
    row
}

/// A budget's cost forecast to its window's end, as pages show it.
pub async fn forecast(
    db: &impl ConnectionTrait,
    model: &budget::Model,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Option<ForecastView>, ServiceError> {
    let forecast = crate::backend::engine::alerts::forecast::cost_forecast(db, model, tz, now).await?;
    Ok(forecast.map(|(spent, hard, f, _)| ForecastView {
        spent,
        hard,
        projected: f.projected.round_dp(2),
        exhaustion: f.exhaustion,
    }))
}

/// One budget with its state in the current window, as lists and the budget page show it.
pub async fn budget_row(
    db: &impl ConnectionTrait,
    me: &Account,
    org: &organization::Model,
    model: budget::Model,
    now: DateTime<Utc>,
) -> Result<BudgetRow, ServiceError> {
    let may_manage = super::access::may_manage(db, me, &model).await?;
    let report = crate::backend::engine::current_report(db, model.clone(), &org.timezone, now).await?;
    let view = super::budgets::view(db, model.clone()).await?;
    Ok(row_of(ListedBudget { model, view, report, may_manage }))
}

fn row_of(listed: ListedBudget) -> BudgetRow {
    let ListedBudget { view, report, may_manage, .. } = listed;
    let usage = report
        .limits
        .iter()
        .map(|l| LimitUsage {
            limit_type: l.limit_type.to_string(),
            spent: l.spent,
            reserved: l.reserved,
            allowance: l.hard + l.overrides,
            percent_used: l.percent_used,
            status: l.status.as_str().to_owned(),
        })
        .collect();
    BudgetRow {
        budget: view,
        may_manage,
        status: report.status.as_str().to_owned(),
        usage,
        window_start: report.window_start,
        window_end: report.window_end,
    }
}
