//! The wizard's server side: the scopes, categories, templates and defaults it offers, and creating the budget.

use super::draft::WizardContext;
use crate::errors::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The project a wizard target names, if it names one (its defaults may differ).
#[cfg(feature = "ssr")]
fn chosen_project(target: Option<&str>) -> Option<Uuid> {
    match target.and_then(super::draft::parse_target) {
        Some((tollgate_domain::ScopeKind::Project, id)) => id,
        _ => None,
    }
}

/// What the wizard offers this viewer; the defaults are resolved for the chosen project, if any.
#[server(prefix = "/rpc", endpoint = "wizard_context")]
pub async fn load_wizard(target: Option<String>) -> Result<WizardContext, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let project = chosen_project(target.as_deref());
        Ok(crate::backend::services::budget_creation::wizard_context(&state.db, &me, project).await?)
    })
    .await
}

/// Creates the reviewed budget with its alert recipients in one transaction, then opens its page;
/// once per wizard (its `request` key).
#[server(prefix = "/rpc", endpoint = "create_from_wizard")]
pub async fn create_from_wizard(draft: BTreeMap<String, String>) -> Result<Uuid, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::access::Acting;
        use crate::backend::services::budget_creation::{create_budgets, wizard_context, NewBudget, RequestKey};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let draft = super::draft::Draft::from_pairs(draft.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let ctx = wizard_context(&state.db, &me, chosen_project(draft.given("target"))).await?;
        if ctx.targets.is_empty() {
            return Err(AppError::forbidden("creating budgets needs the lead role for a team, or the admin role"));
        }
        let (input, alerts) = draft.check(&ctx).map_err(|errors| {
            AppError::Invalid(errors.into_iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))
        })?;
        let once = draft.given("request").map(RequestKey::parse).transpose()?;
        let created =
            create_budgets(&state, Acting::Person(&me), &[NewBudget { input, alerts }], once.as_ref()).await?;
        // A repeat (reload, second click) opens the budget the first press created.
        let id = created.budgets.first().map(|budget| budget.id).ok_or_else(|| {
            AppError::Invalid(
                "this form already created its budget, which was deleted since; start a new budget".into(),
            )
        })?;
        leptos_axum::redirect(&format!("/budgets/{id}"));
        Ok(id)
    })
    .await
}
