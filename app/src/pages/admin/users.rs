//! People (admin): create accounts, assign roles, deactivate and reactivate.

use crate::auth::Role;
use crate::components::{outcome, refused};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    pub can_sign_in: bool,
    pub roles: Vec<Role>,
}

#[server(prefix = "/rpc", endpoint = "people")]
pub async fn people() -> Result<Vec<Person>, AppError> {
    crate::errors::respond(async move {
        use crate::entities::user;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let (me, state) = super::admin()?;
        let rows = user::Entity::find()
            .filter(user::Column::OrgId.eq(me.org_id))
            .order_by_asc(user::Column::Handle)
            .all(&state.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let roles = crate::services::accounts::roles_of(&state.db, row.id).await?;
            out.push(Person {
                id: row.id,
                can_sign_in: row.password_hash.is_some(),
                handle: row.handle,
                display_name: row.display_name,
                email: row.email,
                active: row.active,
                roles,
            });
        }
        Ok(out)
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
        use crate::services::accounts::{create_account, NewAccount};
        let (me, state) = super::admin()?;
        let roles = chosen_roles(admin, lead, approver);
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let now = state.clock.now();
        let txn = crate::services::engine::begin_write(&state.db).await?;
        let account = NewAccount {
            org_id: me.org_id,
            email: &email,
            display_name: &display_name,
            password: &password,
            roles: &names,
        };
        let created = create_account(&txn, account, now).await?;
        let detail = serde_json::json!({ "user": created.handle, "roles": names });
        crate::services::engine::events::record_by(&txn, me.org_id, None, "account_created", detail, &me.email, now)
            .await?;
        txn.commit().await?;
        Ok(created.handle)
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
        let (me, state) = super::admin()?;
        let txn = crate::services::engine::begin_write(&state.db).await?;
        let person = person_of(&txn, me.org_id, user_id).await?;
        let change = crate::services::directory::Change { actor: &me.email, now: state.clock.now() };
        crate::services::accounts::set_roles(&txn, &person, &chosen_roles(admin, lead, approver), change).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_person_active")]
pub async fn set_person_active(user_id: Uuid, active: bool) -> Result<(), AppError> {
    crate::errors::respond(async move {
        let (me, state) = super::admin()?;
        let txn = crate::services::engine::begin_write(&state.db).await?;
        let person = person_of(&txn, me.org_id, user_id).await?;
        let change = crate::services::directory::Change { actor: &me.email, now: state.clock.now() };
        crate::services::accounts::set_active(&txn, person, active, change).await?;
        txn.commit().await?;
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
async fn person_of(
    db: &impl sea_orm::ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<crate::entities::user::Model, AppError> {
    use crate::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("that person".into()))
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreatePerson>::new();
    let roles = ServerAction::<SetPersonRoles>::new();
    let active = ServerAction::<SetPersonActive>::new();
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
                            <ActionForm action=create>
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
