//! Tollgate's Leptos application: the HTML shell, routes and pages; persistence and services behind `ssr`.

pub mod auth;
pub mod components;
pub mod content_policy;
pub mod errors;
pub mod live;
pub mod models;
pub mod pages;
pub mod reports;
pub mod top_bar;

#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    content_policy::apply();
    // The site's files live under a directory named by their version (the server sets it), so
    // browsers keep them until a new build; charts.js fetches ECharts only for pages with charts.
    let pkg = format!("/{}", options.site_pkg_dir);
    let time_face = serde_json::to_string(&components::time::for_render()).unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <meta name="time-face" content=time_face/>
                <link rel="stylesheet" href=format!("{pkg}/tollgate.css")/>
                <script src=format!("{pkg}/charts.js") defer></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "hydrate")]
    components::time::provide_from_page();
    // Effects run only in the browser: this marks the page once hydration has happened.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Title text="Tollgate"/>
        <Router>
            <SignedInAccount>
            // rel="external": the browser, not the router, follows it, so focus moves into <main>.
            <a class="skip-link" href="#content" rel="external">"Skip to content"</a>
            <top_bar::TopBar/>
            <main id="content" tabindex="-1" class="page" data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=StaticSegment("") view=pages::overview::OverviewPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("setup") view=pages::setup::SetupPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=pages::account::AccountPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("budgets") view=pages::budgets::BudgetsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("budgets"), StaticSegment("new")) view=pages::wizard::NewBudgetPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("templates") view=pages::templates::TemplatesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("preferences") view=pages::preferences::PreferencesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("prices") view=pages::prices::PricesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("budgets"), ParamSegment("id")) view=pages::budget::BudgetPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("reports") view=pages::reports::ReportsIndexPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("reports"), ParamSegment("report")) view=pages::reports::ReportPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("inbox") view=pages::inbox::InboxPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("requests") view=pages::approvals::ApprovalsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("teams") view=pages::teams::TeamsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=pages::admin::users::UsersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("api-keys")) view=pages::admin::api_keys::ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("integrations")) view=pages::admin::integrations::IntegrationsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("jobs")) view=pages::admin::jobs::JobsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=pages::reports::AuditPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            </SignedInAccount>
        </Router>
    }
}

/// Loads the signed-in account for the top bar and pages, again after each navigation (signing in
/// or out navigates, so the menu always matches the session).
#[component]
fn SignedInAccount(children: Children) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let account: components::AccountResource =
        Resource::new(move || location.pathname.get(), |_| pages::account::whoami());
    provide_context(account);
    live::provide_live_updates(account);
    children()
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function's redirect (after signing in or out, setting up, creating or deleting a
    // budget) loads the new page whole instead of navigating inside the app: who is signed in may
    // have changed, and with it the organization whose time face the page was rendered with.
    // (Set before the router sets its own hook, which then stays unused.)
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    leptos::mount::hydrate_body(App);
}
