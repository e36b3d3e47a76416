//! Shared page components: the top bar, charts and small formatting helpers.

use leptos::prelude::*;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark">"◆"</span>
                " Tollgate"
            </a>
            <nav>
                <a href="/">"Overview"</a>
            </nav>
        </header>
    }
}

/// An ECharts chart: the server renders the option JSON, `/charts.js` draws it (and redraws on change).
#[component]
pub fn Chart(#[prop(into)] option: Signal<String>, #[prop(into)] label: String) -> impl IntoView {
    view! { <div class="chart" role="img" aria-label=label data-chart="echarts" data-option=move || option.get()></div> }
}
