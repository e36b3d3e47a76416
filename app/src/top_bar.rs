//! The top bar every page shares: navigation by role, the inbox's unread count, signing out.

use crate::auth::Role;
use crate::components::AccountResource;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn TopBar() -> impl IntoView {
    let account = expect_context::<AccountResource>();
    let logout = ServerAction::<crate::pages::login::Logout>::new();
    let location = leptos_router::hooks::use_location();
    // Counted again on every navigation and whenever /live reports a change (a new alert is one).
    let changes = crate::live::live_updates();
    let unread =
        Resource::new(move || (location.pathname.get(), changes.get()), |_| crate::pages::inbox::unread_alerts());
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
