//! Budget templates: the list, applying one to many scopes with a preview, and saving or editing the organization's own.

mod apply;
mod edit;

use crate::components::refused;
use crate::pages::wizard::create::load_wizard;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub use apply::{plan_template, ApplyTemplate};
pub use edit::{SaveBudgetAsTemplate, SaveTemplate};

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let query = use_query_map();
    let save = ServerAction::<SaveTemplate>::new();
    let applied = ServerAction::<ApplyTemplate>::new();
    let context = Resource::new(move || save.version().get(), |_| load_wizard(None));
    let preview = apply::preview(query);
    view! {
        <Title text="Templates · Tollgate"/>
        <h1>"Budget templates"</h1>
        <p class="muted">"A template fixes a budget's period, limits and enforcement; what it leaves open comes from the preferences of each scope it is applied to."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match context.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(ctx) => {
                        let q = query.read();
                        let apply_id = q.get("apply");
                        let edit_id = q.get("edit");
                        let chosen = q.get_all("scope").unwrap_or_default();
                        let category = q.get("category").unwrap_or_default();
                        // The preview's one-time key: carried in its URL, so a reload or a second
                        // press of Create finds the budgets the first one created.
                        let request = q.get("request").unwrap_or_else(|| ctx.request.to_string());
                        let may_edit = !ctx.targets.is_empty();
                        Either::Right(view! {
                            <section class="card">
                                <table>
                                    <thead><tr><th>"Template"</th><th>"Limits"</th><th></th></tr></thead>
                                    <tbody>
                                        {ctx.templates.iter().map(|t| view! {
                                            <tr data-template=t.name.clone()>
                                                <td>
                                                    <strong>{t.name.clone()}</strong>
                                                    {t.built_in.then(|| view! { " " <span class="badge">"built in"</span> })}
                                                    <div class="muted small">{t.description.clone()}</div>
                                                </td>
                                                <td>{t.summary()}</td>
                                                <td class="actions">
                                                    {may_edit.then(|| view! { <a href=format!("/templates?apply={}", t.id)>"Apply…"</a> })}
                                                    {(may_edit && !t.built_in).then(|| view! { " " <a href=format!("/templates?edit={}", t.id)>"Edit"</a> })}
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <p class="muted">"Save one of your budgets as a template from its page."</p>
                            </section>
                            {apply_id.and_then(|id| ctx.templates.iter().find(|t| t.id == id).cloned()).map(|template| view! {
                                <apply::ApplySection template ctx=ctx.clone() chosen=chosen.clone() category=category.clone() request=request.clone() preview applied/>
                            })}
                            {edit_id.and_then(|id| ctx.templates.iter().find(|t| t.id == id && !t.built_in).cloned()).map(|template| view! {
                                <edit::EditTemplate template save/>
                            })}
                        })
                    }
                }
            })}
        </Transition>
    }
}
