//! A report's table: the same rows the CSV export holds, with over/under rows highlighted.

use crate::reports::Table;
use leptos::prelude::*;

#[component]
pub fn DataTable(table: Table, caption: &'static str) -> impl IntoView {
    if table.rows.is_empty() {
        return view! { <p class="muted">"Nothing to report for these filters."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="report">
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{table.columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {table.rows.into_iter().map(|row| {
                        let class = row.tone.map(|t| format!("tone-{t}")).unwrap_or_default();
                        let mut cells = row.cells.into_iter();
                        let first = cells.next().unwrap_or_default();
                        let first = match row.link {
                            Some(href) => view! { <a href=href>{first}</a> }.into_any(),
                            None => first.into_any(),
                        };
                        view! {
                            <tr class=class>
                                <th scope="row">{first}</th>
                                {cells.map(|c| view! { <td>{c}</td> }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
