//! Saving a budget as a template, and editing one of the organization's templates.

use crate::components::outcome;
use crate::errors::AppError;
use crate::models::TemplateView;
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn require_lead() -> Result<crate::auth::Account, AppError> {
    let me = crate::auth::current_account()?;
    if me.has(crate::auth::Role::Lead) || me.has(crate::auth::Role::Admin) {
        Ok(me)
    } else {
        Err(AppError::forbidden("templates are kept by leads and admins"))
    }
}

/// Saves the reusable part of a budget the account may see as a new template.
#[server(prefix = "/rpc", endpoint = "save_budget_as_template")]
pub async fn save_budget_as_template(budget_id: Uuid, name: String, description: String) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::template_changes::{save_budget_as_template, TemplateText};
        let me = require_lead()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let text = TemplateText { name: &name, description: &description };
        let saved = save_budget_as_template(&state, &me, budget_id, text).await?;
        Ok(format!("Saved as template “{}”.", saved.name))
    })
    .await
}

/// Changes one of the organization's templates; every field is checked as a budget's would be.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/rpc", endpoint = "save_template")]
pub async fn save_template(
    id: String,
    name: String,
    description: String,
    period: String,
    cost_soft: String,
    cost_hard: String,
    tokens_soft: String,
    tokens_hard: String,
    operations_soft: String,
    operations_hard: String,
    enforcement: String,
    grace_minutes: String,
    reserve_cost: String,
    thresholds: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::template_changes::{save_template, TemplateText};
        use tollgate_domain::templates::TemplateSpec;
        let me = require_lead()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        fn opt<T: std::str::FromStr>(field: &str, text: &str) -> Result<Option<T>, AppError> {
            match text.trim() {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| AppError::Invalid(format!("{field}: '{t}' is not a number"))),
            }
        }
        let spec = TemplateSpec {
            period: period
                .parse()
                .map_err(|e: tollgate_domain::period::UnknownPeriod| AppError::Invalid(e.to_string()))?,
            cost_soft: opt("cost soft", &cost_soft)?,
            cost_hard: opt("cost hard", &cost_hard)?,
            tokens_soft: opt("tokens soft", &tokens_soft)?,
            tokens_hard: opt("tokens hard", &tokens_hard)?,
            operations_soft: opt("operations soft", &operations_soft)?,
            operations_hard: opt("operations hard", &operations_hard)?,
            enforcement: match enforcement.as_str() {
                "" | "inherit" => None,
                mode => Some(mode.parse().map_err(AppError::Invalid)?),
            },
            grace_minutes: opt("grace minutes", &grace_minutes)?,
            reserve_cost: opt("emergency reserve", &reserve_cost)?.unwrap_or_default(),
            thresholds: match thresholds.trim() {
                "" => None,
                t => Some(tollgate_domain::thresholds::parse_thresholds(t).map_err(AppError::Invalid)?),
            },
        };
        let text = TemplateText { name: &name, description: &description };
        let saved = save_template(&state, &me, &id, text, &spec).await?;
        Ok(format!("Template “{}” saved.", saved.name))
    })
    .await
}

#[component]
pub fn EditTemplate(template: TemplateView, save: ServerAction<SaveTemplate>) -> impl IntoView {
    let s = template.spec.clone();
    let text = |v: Option<String>| v.unwrap_or_default();
    view! {
        <section class="card narrow" id="edit">
            <h2>{format!("Edit “{}”", template.name)}</h2>
            <ActionForm action=save>
                <input type="hidden" name="id" value=template.id.clone()/>
                <label>"Name" <input name="name" value=template.name.clone() required/></label>
                <label>"Description" <input name="description" value=template.description.clone()/></label>
                <label>"Period"
                    <select name="period">
                        {tollgate_domain::Period::ALL.into_iter().map(|p| view! { <option value=p.as_str() selected=p == s.period>{p.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="inline-fields">
                    <label>"Cost soft" <input name="cost_soft" value=text(s.cost_soft.map(|d| d.to_string()))/></label>
                    <label>"Cost hard" <input name="cost_hard" value=text(s.cost_hard.map(|d| d.to_string()))/></label>
                    <label>"Tokens soft" <input name="tokens_soft" value=text(s.tokens_soft.map(|d| d.to_string()))/></label>
                    <label>"Tokens hard" <input name="tokens_hard" value=text(s.tokens_hard.map(|d| d.to_string()))/></label>
                    <label>"Operations soft" <input name="operations_soft" value=text(s.operations_soft.map(|d| d.to_string()))/></label>
                    <label>"Operations hard" <input name="operations_hard" value=text(s.operations_hard.map(|d| d.to_string()))/></label>
                </div>
                <label>"Enforcement"
                    <select name="enforcement">
                        <option value="inherit" selected=s.enforcement.is_none()>"from preferences"</option>
                        <option value="hard_stop" selected=s.enforcement == Some(tollgate_domain::EnforcementMode::HardStop)>"hard stop"</option>
                        <option value="soft_warning" selected=s.enforcement == Some(tollgate_domain::EnforcementMode::SoftWarning)>"soft warning"</option>
                    </select>
                </label>
                <div class="inline-fields">
                    <label>"Grace minutes" <input name="grace_minutes" value=text(s.grace_minutes.map(|g| g.to_string())) placeholder="from preferences"/></label>
                    <label>"Emergency reserve" <input name="reserve_cost" value=s.reserve_cost.to_string()/></label>
                    <label>"Thresholds (%)" <input name="thresholds" placeholder="from preferences"
                        value=text(s.thresholds.map(|t| t.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")))/></label>
                </div>
                <button type="submit" class="primary">"Save template"</button>
            </ActionForm>
            {outcome(move || save.value().get(), |said: &String| said.clone())}
        </section>
    }
}
