//! A report's table: the same rows the CSV export holds, its figures shown by the figures policy
//! (the CSV keeps them exact), over/under rows highlighted; on a phone each row is a card.

use crate::reports::{ColumnKind, Table};
use leptos::prelude::*;

#[component]
pub fn DataTable(table: Table, caption: &'static str) -> impl IntoView {
    if table.rows.is_empty() {
        return view! { <p class="muted">"Nothing to report for these filters."</p> }.into_any();
    }
    let kinds: Vec<_> = (0..table.columns.len()).map(|i| table.kind(i)).collect();
    let Table { columns, rows, verdict, .. } = table;
    let head = columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view();
    view! {
        <div class="table-scroll">
            <table class="report cards">
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{head}</tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let class = row.tone.map(|t| format!("tone-{t}")).unwrap_or_default();
                        let mut cells = row.cells.into_iter();
                        let first = cells.next().unwrap_or_default();
                        let first = match row.link {
                            Some(href) => view! { <a href=href>{first}</a> }.into_any(),
                            None => first.into_any(),
                        };
                        let rest = cells.enumerate().map(|(i, cell)| {
                            let label = columns.get(i + 1).cloned().unwrap_or_default();
                            let kind = kinds.get(i + 1).copied().unwrap_or_default();
                            let class = match (verdict.contains(&(i + 1)), kind) {
                                (true, _) => Some("verdict"),
                                (false, ColumnKind::Text) => None,
                                (false, _) => Some("num"),
                            };
                            view! { <td data-label=label class=class>{kind.shown(&cell)}</td> }
                        });
                        view! {
                            <tr class=class>
                                <th scope="row">{first}</th>
                                {rest.collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
