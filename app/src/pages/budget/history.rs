//! A budget's history on its page: changes, requests, decisions, denials and alerts, newest first.

use crate::components::time::instant;
pub use crate::models::HistoryEntry;
use leptos::either::Either;
use leptos::prelude::*;

#[component]
pub fn HistorySection(entries: Vec<HistoryEntry>) -> impl IntoView {
    view! {
        <section class="card" id="history">
            <h2>"History"</h2>
            {if entries.is_empty() {
                Either::Left(view! { <p class="muted">"Nothing has happened to this budget yet."</p> })
            } else {
                Either::Right(view! {
                    <table>
                        <thead><tr><th>"When"</th><th>"What"</th><th>"Who"</th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|e| view! {
                                <tr data-kind=e.kind.clone()>
                                    <td><time datetime=e.created_at.to_rfc3339()>{instant(e.created_at)}</time></td>
                                    <td>{e.summary}</td>
                                    <td>{e.actor.unwrap_or_else(|| "Tollgate".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}
