//! Shared page components: the top bar, form outcomes, charts.

mod format;

pub use format::{money, thousands};

use crate::auth::{Account, Role};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The signed-in account of this page (loaded once per page by `App`).
pub type AccountResource = Resource<Result<Option<Account>, AppError>>;

#[component]
pub fn TopBar() -> impl IntoView {
    let account = expect_context::<AccountResource>();
    let logout = ServerAction::<crate::pages::login::Logout>::new();
    let location = leptos_router::hooks::use_location();
    let unread = Resource::new(move || location.pathname.get(), |_| crate::pages::inbox::unread_alerts());
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark">"◆"</span>
                " Tollgate"
            </a>
            // The unread count is awaited here, not in a Suspense of its own below: boundaries and
            // resources created below a Suspend are numbered for hydration in whatever order the
            // server resolves them (see `OverviewPage`).
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let unread = unread.await.ok().filter(|n| *n > 0);
                    account.await.ok().flatten().map(|me| {
                        let admin = me.has(Role::Admin);
                        view! {
                            <nav aria-label="Main">
                                <a href="/">"Overview"</a>
                                <a href="/budgets">"Budgets"</a>
                                <a href="/reports">"Reports"</a>
                                <a href="/requests">"Requests"</a>
                                <a href="/teams">"Teams"</a>
                                <a href="/templates">"Templates"</a>
                                <a href="/prices">"Prices"</a>
                                <a href="/preferences">"Preferences"</a>
                                {admin.then(|| view! {
                                    <a href="/admin/users">"People"</a>
                                    <a href="/admin/api-keys">"API keys"</a>
                                    <a href="/admin/integrations">"Integrations"</a>
                                    <a href="/admin/audit">"Audit log"</a>
                                    <a href="/admin/jobs">"Jobs"</a>
                                })}
                            </nav>
                            <div class="account-menu">
                                <a href="/inbox" data-testid="inbox-link">
                                    "Inbox"
                                    {unread.map(|n| view! {
                                        <span class="count" aria-label=format!("{n} unread")>{n}</span>
                                    })}
                                </a>
                                <a href="/account" data-testid="account-link">{me.display_name.clone()}</a>
                                <ActionForm action=logout>
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            </div>
                        }
                    })
                })}
            </Transition>
        </header>
    }
}

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
    Effect::new(move |_| {
        if succeeded() {
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
