//! People (admin): create accounts, assign roles, deactivate and reactivate.

use crate::auth::Role;
use crate::components::{outcome, refused};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

pub use crate::models::Person;

#[server(prefix = "/rpc", endpoint = "people")]
pub async fn people() -> Result<Vec<Person>, AppError> {
    crate::errors::respond(async move {
        let (me, state) = super::admin()?;
        Ok(crate::backend::services::people::people(&state.db, me.org_id).await?)
    })
    .await
}

#[cfg(feature = "ssr")]
fn chosen_roles(admin: Option<String>, lead: Option<String>, approver: Option<String>) -> Vec<Role> {
    [(admin, Role::Admin), (lead, Role::Lead), (approver, Role::Approver)]
        .into_iter()
        .filter_map(|(flag, role)| flag.is_some().then_some(role))
        .collect()
}

#[server(prefix = "/rpc", endpoint = "create_person")]
pub async fn create_person(
    display_name: String,
    email: String,
    password: String,
    admin: Option<String>,
    lead: Option<String>,
    approver: Option<String>,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{accounts::NewAccount, people};
        let (me, state) = super::admin()?;
        let roles = chosen_roles(admin, lead, approver);
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let account = NewAccount {
            org_id: me.org_id,
            email: &email,
            display_name: &display_name,
            password: &password,
            roles: &names,
        };
        Ok(people::add_person(&state.db, account, &me.email, state.clock.now()).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_person_roles")]
pub async fn set_person_roles(
    user_id: Uuid,
    admin: Option<String>,
    lead: Option<String>,
    approver: Option<String>,
) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, people};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        let roles = chosen_roles(admin, lead, approver);
        Ok(people::set_person_roles(&state.db, me.org_id, user_id, &roles, change).await?)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_person_active")]
pub async fn set_person_active(user_id: Uuid, active: bool) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, people};
        let (me, state) = super::admin()?;
        let change = Change { actor: &me.email, now: state.clock.now() };
        Ok(people::set_person_active(&state.db, me.org_id, user_id, active, change).await?)
    })
    .await
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreatePerson>::new();
    let roles = ServerAction::<SetPersonRoles>::new();
    let active = ServerAction::<SetPersonActive>::new();
    let new_person = crate::components::resets_after_success(move || matches!(create.value().get(), Some(Ok(_))));
    let list =
        Resource::new(move || (create.version().get(), roles.version().get(), active.version().get()), |_| people());
    view! {
        <Title text="People · Tollgate"/>
        <h1>"People"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(people) => Either::Right(view! {
                        <section class="card">
                            {outcome(move || roles.value().get(), |_| "Roles saved.".to_owned())}
                            {outcome(move || active.value().get(), |_| "Saved.".to_owned())}
                            <table class="people">
                                <thead><tr><th>"Person"</th><th>"Roles"</th><th>"Status"</th></tr></thead>
                                <tbody>
                                    {people.into_iter().map(|p| view! { <PersonRow person=p roles active/> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card narrow">
                            <h2>"Add a person"</h2>
                            <p class="muted">"Give them the initial password in person; they change it under their account."</p>
                            <ActionForm action=create node_ref=new_person>
                                <label>"Name" <input name="display_name" required/></label>
                                <label>"Email" <input type="email" name="email" required/></label>
                                <label>"Initial password (at least 12 characters)"
                                    <input type="password" name="password" required minlength="12" autocomplete="new-password"/>
                                </label>
                                <RoleBoxes current=Vec::new()/>
                                <button type="submit" class="primary">"Add person"</button>
                            </ActionForm>
                            {outcome(move || create.value().get(), |handle| format!("Added {handle}."))}
                        </section>
                    }),
                }
            })}
        </Transition>
    }
}

#[component]
fn RoleBoxes(current: Vec<Role>) -> impl IntoView {
    [Role::Admin, Role::Lead, Role::Approver]
        .into_iter()
        .map(|role| {
            let checked = current.contains(&role);
            view! {
                <label class="check">
                    <input type="checkbox" name=role.as_str() value="on" checked=checked/>
                    {role.as_str()}
                </label>
            }
        })
        .collect_view()
}

#[component]
fn PersonRow(
    person: Person,
    roles: ServerAction<SetPersonRoles>,
    active: ServerAction<SetPersonActive>,
) -> impl IntoView {
    let id = person.id;
    let status = if person.active { "active" } else { "deactivated" };
    view! {
        <tr data-person=person.handle.clone()>
            <td>
                <strong>{person.display_name.clone()}</strong>
                <div class="muted">{person.email.clone().unwrap_or_else(|| person.handle.clone())}</div>
                {(!person.can_sign_in).then(|| view! { <div class="muted">"seen in usage only; no sign-in"</div> })}
            </td>
            <td>
                <ActionForm action=roles attr:class="inline">
                    <input type="hidden" name="user_id" value=id.to_string()/>
                    <RoleBoxes current=person.roles.clone()/>
                    <button type="submit">"Save roles"</button>
                </ActionForm>
            </td>
            <td>
                <span class=format!("badge {status}")>{status}</span>
                <ActionForm action=active attr:class="inline">
                    <input type="hidden" name="user_id" value=id.to_string()/>
                    <input type="hidden" name="active" value=(!person.active).to_string()/>
                    <button type="submit">{if person.active { "Deactivate" } else { "Reactivate" }}</button>
                </ActionForm>
            </td>
        </tr>
    }
}
