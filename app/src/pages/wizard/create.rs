//! The wizard's server side: the scopes, categories, templates and defaults it offers, and creating the budget.

use super::draft::WizardContext;
use crate::errors::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the wizard offers this viewer; the defaults are resolved for the chosen project, if any.
#[server(prefix = "/rpc", endpoint = "wizard_context")]
pub async fn load_wizard(target: Option<String>) -> Result<WizardContext, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        context_for(&state.db, &me, target.as_deref()).await
    })
    .await
}

#[cfg(feature = "ssr")]
async fn context_for(
    db: &impl sea_orm::ConnectionTrait,
    me: &crate::auth::Account,
    target: Option<&str>,
) -> Result<WizardContext, AppError> {
    use crate::entities::category;
    use crate::models::BudgetDefaults;
    use crate::services::{organizations, preferences, templates};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let org = organizations::organization(db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
    let project = match target.and_then(super::draft::parse_target) {
        Some((tollgate_domain::ScopeKind::Project, id)) => id,
        _ => None,
    };
    let resolved = preferences::resolved(db, &org, Some(me.id), project).await?;
    let categories = category::Entity::find()
        .filter(category::Column::OrgId.eq(me.org_id))
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    Ok(WizardContext {
        targets: manageable_targets(db, me).await?,
        categories,
        templates: templates::list(db, me.org_id).await?,
        defaults: BudgetDefaults::from_resolved(&resolved),
    })
}

/// Every scope this account may create budgets for, labelled for a select.
#[cfg(feature = "ssr")]
pub(crate) async fn manageable_targets(
    db: &impl sea_orm::ConnectionTrait,
    me: &crate::auth::Account,
) -> Result<Vec<(String, String)>, AppError> {
    use crate::entities::{project, team, team_member, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let actor = me.actor();
    let mut out = Vec::new();
    if me.has(crate::auth::Role::Admin) {
        out.push(("organization".to_owned(), "The whole organization".to_owned()));
    }
    let teams =
        team::Entity::find().filter(team::Column::OrgId.eq(me.org_id)).order_by_asc(team::Column::Name).all(db).await?;
    let mine: Vec<team::Model> = teams.into_iter().filter(|t| actor.may_manage_budget(&[t.id])).collect();
    out.extend(mine.iter().map(|t| (format!("team:{}", t.id), format!("Team: {}", t.name))));
    let projects = project::Entity::find()
        .filter(project::Column::OrgId.eq(me.org_id))
        .filter(project::Column::ArchivedAt.is_null())
        .order_by_asc(project::Column::Name)
        .all(db)
        .await?;
    out.extend(
        projects
            .into_iter()
            .filter(|p| actor.may_manage_budget(&[p.team_id]))
            .map(|p| (format!("project:{}", p.id), format!("Project: {}", p.name))),
    );
    let members = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(mine.iter().map(|t| t.id)))
        .all(db)
        .await?;
    let mut people = user::Entity::find()
        .filter(user::Column::Id.is_in(members.iter().map(|m| m.user_id)))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    people.dedup_by_key(|u| u.id);
    out.extend(people.into_iter().map(|u| (format!("user:{}", u.id), format!("Person: {}", u.display_name))));
    Ok(out)
}

/// Creates the reviewed budget with its alert recipients in one transaction, then opens its page.
#[server(prefix = "/rpc", endpoint = "create_from_wizard")]
pub async fn create_from_wizard(draft: BTreeMap<String, String>) -> Result<Uuid, AppError> {
    crate::errors::respond(async move {
        use crate::services::{access, alerts::recipients, budgets, engine::begin_write, organizations};
        use tollgate_domain::alerting::RecipientKind;
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let draft = super::draft::Draft::from_pairs(draft.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for url in
            ["slack", "webhook"].into_iter().filter_map(|field| draft.given(field)).filter(|u| !u.trim().is_empty())
        {
            state.outbound.check(url.trim()).await.map_err(AppError::Invalid)?;
        }
        let txn = begin_write(&state.db).await?;
        let ctx = context_for(&txn, &me, draft.given("target")).await?;
        if ctx.targets.is_empty() {
            return Err(AppError::forbidden("creating budgets needs the lead role for a team, or the admin role"));
        }
        let (input, alerts) = draft.check(&ctx).map_err(|errors| {
            AppError::Invalid(errors.into_iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))
        })?;
        let scope_id = input.scope_id.unwrap_or(me.org_id);
        access::ensure_may_manage(&txn, &me, input.scope, scope_id).await?;
        let org = organizations::organization(&txn, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let now = state.clock.now();
        let created = budgets::create(&txn, &org, &input, &me.email, now).await?;
        recipients::add_defaults(&txn, &created, &alerts.notify, me.id, now).await?;
        let targets = alerts.emails.iter().map(|address| (RecipientKind::Email, address));
        let urls = [(RecipientKind::Slack, &alerts.slack), (RecipientKind::Webhook, &alerts.webhook)];
        let urls = urls.into_iter().filter_map(|(kind, url)| url.as_ref().map(|url| (kind, url)));
        for (kind, target) in targets.chain(urls) {
            let new = recipients::NewRecipient { kind, target, min_threshold: None };
            recipients::add(&txn, &created, new, &state.outbound, now).await?;
        }
        txn.commit().await?;
        leptos_axum::redirect(&format!("/budgets/{}", created.id));
        Ok(created.id)
    })
    .await
}
