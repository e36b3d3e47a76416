//! The organization overview: counts, the viewer's budgets, spend over the last N days as a chart, top projects and models.

use crate::components::{money, refused, thousands, Chart};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const RANGES: [u32; 3] = [30, 90, 365];

pub use crate::models::{OrgOverview, Overview, SpendRow};

#[server(prefix = "/rpc", endpoint = "overview")]
pub async fn load_overview(days: u32) -> Result<Overview, AppError> {
    crate::errors::respond(async move {
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let days = if RANGES.contains(&days) { days } else { RANGES[0] };
        Ok(crate::backend::queries::overview::load(&state.db, me.org_id, state.clock.now(), days).await?)
    })
    .await
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || query.read().get("days").and_then(|d| d.parse::<u32>().ok()).unwrap_or(RANGES[0]);
    let overview = Resource::new(days, load_overview);
    // Every resource of a page is created here, before any Suspend: the server may render a
    // Suspend's children more than once (leptos re-walks them to find resources read late), and
    // numbers resources for hydration as they are created, so one created below it could take
    // another number than in the browser, which would then hydrate it with another's data.
    let tiles = super::your_budgets::tiles();

    view! {
        <Title text="Overview · Tollgate"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(Overview { organization: Some(org) }) => Either::Left(view! { <OrgOverviewView org tiles/> }),
                    Ok(Overview { organization: None }) => Either::Right(Either::Left(view! { <Welcome/> })),
                    Err(e) => Either::Right(Either::Right(refused(e))),
                }
            })}
        </Transition>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Welcome to Tollgate"</h1>
            <p>"There is no organization yet. From a shell, create one with its first admin:"</p>
            <pre>"tollgate create-admin --org-name \"Acme\" --email you@example.com"</pre>
            <p>"or load a demo organization with 90 days of usage:"</p>
            <pre>"tollgate seed-demo"</pre>
        </section>
    }
}

#[component]
fn OrgOverviewView(org: OrgOverview, tiles: super::your_budgets::TilesResource) -> impl IntoView {
    let days = org.days;
    let chart = org.chart.clone();
    view! {
        <div class="page-head">
            <h1>{org.name.clone()}</h1>
            <nav class="segmented" aria-label="Range">
                {RANGES
                    .into_iter()
                    .map(|r| {
                        let current = (r == days).then_some("page");
                        view! { <a href=format!("?days={r}") aria-current=current>{format!("{r} days")}</a> }
                    })
                    .collect_view()}
            </nav>
        </div>
        <section class="stats">
            <Stat label=format!("Spend, last {days} days") value=format!("{} {}", money(org.total_spend), org.currency)/>
            <Stat label="Tokens".to_string() value=thousands(org.total_tokens)/>
            <Stat label="Teams".to_string() value=org.teams.to_string()/>
            <Stat label="Projects".to_string() value=org.projects.to_string()/>
            <Stat label="Budgets".to_string() value=org.budgets.to_string()/>
        </section>
        <super::your_budgets::YourBudgets tiles/>
        <section class="card">
            <h2 id="daily-spend">{format!("Daily spend, last {days} days")}</h2>
            <Chart option=Signal::derive(move || chart.clone()) label=format!("Daily spend over the last {days} days")/>
            <p data-testid="org-forecast">{format!("This month so far: {} {cur}; forecast for the month end: {} {cur}.",
                money(org.month_to_date), money(org.month_forecast), cur = org.currency)}</p>
            <p class="muted">{format!("Days follow the organization's time zone, {}. The forecast (dashed) expects each remaining day to cost what that weekday cost on average over the last four weeks.", org.timezone)}</p>
            <details>
                <summary>"The numbers behind the chart"</summary>
                <table class="compact">
                    <thead><tr><th>"Day"</th><th class="num">{format!("Spend ({})", org.currency)}</th><th></th></tr></thead>
                    <tbody>
                        {org.series.iter().map(|(d, v)| (d, v, "")).chain(org.forecast.iter().map(|(d, v)| (d, v, "forecast"))).map(|(d, v, kind)| view! {
                            <tr><td>{d.format("%Y-%m-%d").to_string()}</td><td class="num">{money(*v)}</td><td class="muted">{kind}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
        <div class="grid-2">
            <SpendTable title="Top projects" rows=org.top_projects.clone() currency=org.currency.clone()/>
            <SpendTable title="Top models" rows=org.top_models.clone() currency=org.currency.clone()/>
        </div>
    }
}

#[component]
fn Stat(label: String, value: String) -> impl IntoView {
    view! {
        <div class="stat">
            <div class="stat-value">{value}</div>
            <div class="stat-label">{label}</div>
        </div>
    }
}

#[component]
fn SpendTable(title: &'static str, rows: Vec<SpendRow>, currency: String) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{title}</h2>
            <table>
                <thead><tr><th>"Name"</th><th class="num">{format!("Spend ({currency})")}</th></tr></thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| view! { <tr><td>{r.name}</td><td class="num">{money(r.spend)}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
