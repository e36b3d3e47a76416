//! The report pages: an index, and one page per report with its filters (a GET form, so it works
//! before hydration and the URL can be shared), headline figures, chart, table and CSV download.

pub mod digests;
pub mod shared_entry;
mod table;
pub mod value_entry;

use crate::components::{refused, Chart};
use crate::errors::AppError;
use crate::reports::{ReportChart, ReportKind, ReportQuery, ReportView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use table::DataTable;

#[server(prefix = "/rpc", endpoint = "load_report")]
pub async fn load_report(
    report: String,
    #[server(default)] query: BTreeMap<String, String>,
) -> Result<ReportView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::reports::{run, Viewer};
        let account = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let kind = ReportKind::from_slug(&report).ok_or_else(|| AppError::NotFound(format!("report '{report}'")))?;
        Ok(run(&state.db, &Viewer::Person(account), kind, ReportQuery(query), state.clock.now()).await?)
    })
    .await
}

#[component]
pub fn ReportsIndexPage() -> impl IntoView {
    view! {
        <Title text="Reports · Tollgate"/>
        <h1>"Reports"</h1>
        <div class="report-index">
            {ReportKind::ALL.into_iter().map(|kind| view! {
                <a class="card report-card" href=format!("/reports/{}", kind.slug())>
                    <h2>{kind.title()}</h2>
                    <p class="muted">{kind.summary()}</p>
                </a>
            }).collect_view()}
        </div>
        <digests::DigestsSection/>
    }
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    view! { <ReportOf slug=Signal::derive(move || params.read().get("report").unwrap_or_default())/> }
}

/// The audit log is a report too, at its own address in the admin menu.
#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <ReportOf slug=Signal::derive(|| ReportKind::Audit.slug().to_owned())/> }
}

#[component]
fn ReportOf(slug: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let record = ServerAction::<value_entry::RecordProjectValue>::new();
    let share = ServerAction::<shared_entry::SetSharedProject>::new();
    let report = Resource::new(
        move || {
            record.version().get();
            share.version().get();
            let slug = slug.get();
            let pairs = query.read().clone();
            (slug, ReportQuery::from_pairs((&pairs).into_iter().map(|(k, v)| (k.as_ref(), v))).0)
        },
        |(slug, query)| load_report(slug, query),
    );
    view! {
        <p class="muted"><a href="/reports">"Reports"</a> " ›"</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => Either::Left(view! { <Title text="Report · Tollgate"/> <h1>"Report"</h1> {refused(e)} }),
                    Ok(view) => Either::Right(view! { <Report view record share/> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn Report(
    view: ReportView,
    record: ServerAction<value_entry::RecordProjectValue>,
    share: ServerAction<shared_entry::SetSharedProject>,
) -> impl IntoView {
    let ReportView { kind, query, headline, chart, table, notes, mut choices, inputs } = view;
    let projects = choices.remove("entry_project");
    let shareable = choices.remove("entry_shared_project");
    let shared_now = choices.remove("entry_shared_now").unwrap_or_default();
    let csv = format!("/reports/{}/csv?{}", kind.slug(), query.to_query_string());
    let file = format!("tollgate-{}.csv", kind.slug());
    view! {
        <Title text=format!("{} · Tollgate", kind.title())/>
        <h1>{kind.title()}</h1>
        <Filters kind query=query.clone() choices inputs/>
        {projects.map(|projects| view! { <value_entry::ValueEntry projects record/> })}
        {shareable.map(|projects| view! { <shared_entry::SharedEntry projects current=shared_now set=share/> })}
        <section class="card headline" aria-label="Headline figures">
            {headline.into_iter().map(|(label, value)| view! {
                <div class="figure"><span class="muted">{label}</span><strong>{value}</strong></div>
            }).collect_view()}
        </section>
        {chart.map(|ReportChart { title, option }| view! {
            <section class="card" aria-labelledby="chart-title">
                <h2 id="chart-title">{title.clone()}</h2>
                <Chart option=Signal::derive(move || option.clone()) label=title/>
            </section>
        })}
        <section class="card">
            <p><a class="button" href=csv download=file>"Download CSV"</a></p>
            <DataTable table caption=kind.title()/>
            <ul class="notes muted">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
        </section>
    }
}

/// The report's own filters; ranges for every report but the forecasts.
#[component]
fn Filters(
    kind: ReportKind,
    query: ReportQuery,
    choices: BTreeMap<String, Vec<(String, String)>>,
    inputs: Vec<(String, String)>,
) -> impl IntoView {
    let value = |key: &str| query.get(key).unwrap_or_default().to_owned();
    let ranged = matches!(
        kind,
        ReportKind::Allocation
            | ReportKind::Components
            | ReportKind::Trends
            | ReportKind::Suggestions
            | ReportKind::Roi
            | ReportKind::Audit
    );
    let select = |name: String, options: Vec<(String, String)>, current: String, any: bool| {
        let label = match name.as_str() {
            "by" => "Break down by",
            "level" => "Scope level",
            "step" => "Step",
            "type" => "Event type",
            "budget" => "Budget",
            "enforcement" => "Enforcement",
            "shared" => "Shared projects",
            "model" => "Model",
            _ => "Choice",
        };
        view! {
            <label>{label}
                <select name=name>
                    {any.then(|| view! { <option value="any">"any"</option> })}
                    {options.into_iter().map(|(v, text)| {
                        let selected = v == current;
                        view! { <option value=v selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let selects = choices
        .into_iter()
        .map(|(name, options)| {
            let current = value(&name);
            let any = matches!(name.as_str(), "level" | "type") || (name == "budget" && kind == ReportKind::Audit);
            select(name, options, current, any)
        })
        .collect_view();
    let within = value("within");
    view! {
        <form method="get" class="filters" aria-label="Report filters">
            {ranged.then(|| view! {
                <label>"From" <input type="date" name="from" value=value("from")/></label>
                <label>"To" <input type="date" name="to" value=value("to")/></label>
            })}
            {(kind == ReportKind::BudgetVsActual).then(|| view! {
                <label>"Windows" <input type="number" name="windows" min="1" max="12" value=value("windows")/></label>
            })}
            {selects}
            {inputs.into_iter().map(|(name, label)| {
                let current = value(&name);
                view! { <label>{label} <input type="text" name=name value=current/></label> }
            }).collect_view()}
            {(!within.is_empty()).then(|| view! { <input type="hidden" name="within" value=within/> })}
            <button type="submit">"Apply"</button>
            <a href=if kind == ReportKind::Audit { "/admin/audit".to_owned() } else { format!("/reports/{}", kind.slug()) }>"Clear"</a>
        </form>
    }
}
