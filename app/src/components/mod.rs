//! Shared page components: form outcomes, charts, formatting.

pub mod time;

pub use tollgate_domain::figures::{money, percent, thousands};

use crate::auth::Account;
use crate::errors::AppError;
use leptos::either::Either;
use leptos::prelude::*;

/// The signed-in account of this page (loaded once per page by `App`).
pub type AccountResource = Resource<Result<Option<Account>, AppError>>;

/// What became of a form's last submission: a confirmation or the error, next to the form.
pub fn outcome<O>(
    value: impl Fn() -> Option<Result<O, AppError>> + Send + Sync + 'static,
    confirmation: impl Fn(&O) -> String + Send + Sync + 'static,
) -> impl IntoView
where
    O: Send + Sync + 'static,
{
    move || {
        value().map(|result| match result {
            Ok(done) => Either::Left(view! { <p class="notice ok" role="status">{confirmation(&done)}</p> }),
            Err(error) => Either::Right(view! { <p class="notice error" role="alert">{error.to_string()}</p> }),
        })
    }
}

/// Empties `form` each time its action succeeds, so the next entry starts blank, with every box
/// back to its default, instead of carrying the last entry's values (and roles) into the next.
/// The returned node ref goes on the form (`<ActionForm action node_ref=…>`).
pub fn resets_after_success(succeeded: impl Fn() -> bool + Send + Sync + 'static) -> NodeRef<leptos::html::Form> {
    let form = NodeRef::<leptos::html::Form>::new();
    // Not on the first run: a form drawn anew after a success is blank already, and resetting it
    // then would clear what someone began to type in the meantime.
    Effect::new(move |ran: Option<()>| {
        if succeeded() && ran.is_some() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    form
}

/// A page's content, or why it could not be shown (sign in again, not allowed, …).
pub fn refused(error: AppError) -> impl IntoView {
    let signed_out = matches!(error, AppError::Unauthorized);
    view! {
        <section class="card refused" data-testid="refused">
            <h1>{if signed_out { "Please sign in" } else { "Not available" }}</h1>
            <p>{error.to_string()}</p>
            {signed_out.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
        </section>
    }
}

/// An ECharts chart: the server renders the option JSON, `/charts.js` draws it (and redraws on change).
#[component]
pub fn Chart(#[prop(into)] option: Signal<String>, #[prop(into)] label: String) -> impl IntoView {
    view! { <div class="chart" role="img" aria-label=label data-chart="echarts" data-option=move || option.get()></div> }
}

/// A form's date field as the start of that day (UTC); empty: none.
#[cfg(feature = "ssr")]
pub fn day_start(text: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::errors::AppError> {
    match text.trim() {
        "" => Ok(None),
        date => chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map(|day| Some(day.and_time(chrono::NaiveTime::MIN).and_utc()))
            .map_err(|_| crate::errors::AppError::Invalid(format!("'{date}' is not a date (YYYY-MM-DD)"))),
    }
}
