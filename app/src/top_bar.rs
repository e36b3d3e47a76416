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
    // Navigating within the app keeps the top bar's DOM, so a menu left open is closed here.
    Effect::new(move |_| {
        location.pathname.track();
        close_menus();
    });
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
                        // Below 900 px the navigation is a menu the button opens (the popover
                        // attribute works before hydration and closes on Escape or a click outside),
                        // with the account and signing out in it; wider, it is one row with the
                        // admin pages under their own button.
                        view! {
                            <nav id="site-menu" class="site-menu" popover="auto" aria-label="Main">
                                <a href="/">"Overview"</a>
                                <a href="/budgets">"Budgets"</a>
                                <a href="/reports">"Reports"</a>
                                <a href="/requests">"Requests"</a>
                                <a href="/teams">"Teams"</a>
                                <a href="/templates">"Templates"</a>
                                <a href="/prices">"Prices"</a>
                                <a href="/preferences">"Preferences"</a>
                                {admin.then(|| view! {
                                    <button type="button" class="admin-button" popovertarget="admin-menu">"Admin"</button>
                                    <div id="admin-menu" class="admin-menu" popover="auto" role="group" aria-label="Administration">
                                        <a href="/admin/users">"People"</a>
                                        <a href="/admin/api-keys">"API keys"</a>
                                        <a href="/admin/integrations">"Integrations"</a>
                                        <a href="/admin/audit">"Audit log"</a>
                                        <a href="/admin/jobs">"Jobs"</a>
                                    </div>
                                })}
                                <div class="menu-account phone-only">
                                    <a href="/account">{me.display_name.clone()}</a>
                                    <ActionForm action=logout>
                                        <button type="submit" class="link-button">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            </nav>
                            <div class="account-menu">
                                <a href="/inbox" data-testid="inbox-link">
                                    "Inbox"
                                    {unread.map(|n| view! {
                                        <span class="count" aria-label=format!("{n} unread")>{n}</span>
                                    })}
                                </a>
                                <a href="/account" class="wide-only" data-testid="account-link">{me.display_name.clone()}</a>
                                <ActionForm action=logout attr:class="wide-only">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            </div>
                            <button type="button" class="menu-button" popovertarget="site-menu">"Menu"</button>
                        }
                    })
                })}
            </Transition>
        </header>
    }
}

/// Hides every open popover (the navigation's menus).
fn close_menus() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Ok(open) = document().query_selector_all("[popover]:popover-open") else { return };
        for i in 0..open.length() {
            if let Some(menu) = open.item(i).and_then(|node| node.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = menu.hide_popover();
            }
        }
    }
}
