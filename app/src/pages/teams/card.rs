//! One team's card on the teams page: people, leads, projects and the admin forms for them.

use super::{TeamActions, TeamRow};
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

#[component]
pub(super) fn TeamCard(
    team: TeamRow,
    all: Vec<TeamRow>,
    people: Vec<(Uuid, String)>,
    can_manage: bool,
    actions: TeamActions,
) -> impl IntoView {
    let team_id = team.id;
    let team_name = team.name.clone();
    let archived = team.archived;
    let members = team.members.clone();
    let project_people = people.clone();
    let projects = team.projects.clone();
    view! {
        <section class="card" data-team=team.name.clone()>
            <div class="page-head">
                <h2>{team.name.clone()} {team.archived.then(|| view! { <span class="badge deactivated">"archived"</span> })}</h2>
                {can_manage.then(|| view! {
                    <ActionForm action=actions.update_team attr:class="inline">
                        <input type="hidden" name="team_id" value=team_id.to_string()/>
                        <input type="hidden" name="archived" value=(!archived).to_string()/>
                        <button type="submit">{if archived { "Restore" } else { "Archive" }}</button>
                    </ActionForm>
                })}
            </div>
            <h3>"People"</h3>
            <ul class="plain">
                {members.into_iter().map(|(_, name, lead)| view! {
                    <li>{name} {lead.then(|| view! { <span class="badge">"lead"</span> })}</li>
                }).collect_view()}
            </ul>
            {can_manage.then(|| view! {
                <ActionForm action=actions.membership attr:class="inline">
                    <input type="hidden" name="team_id" value=team_id.to_string()/>
                    <select name="user_id" aria-label="Person">
                        {people.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                    </select>
                    <select name="membership" aria-label="Membership">
                        <option value="member">"member"</option>
                        <option value="lead">"lead"</option>
                        <option value="none">"not in team"</option>
                    </select>
                    <button type="submit">"Set"</button>
                </ActionForm>
                <ActionForm action=actions.update_team attr:class="inline">
                    <input type="hidden" name="team_id" value=team_id.to_string()/>
                    <input name="name" value=team_name.clone() aria-label="Team name" required/>
                    <button type="submit">"Rename"</button>
                </ActionForm>
            })}
            <h3>"Projects"</h3>
            <table>
                <thead><tr><th>"Project"</th><th>"Slug"</th><th>"People"</th>{can_manage.then(|| view! { <th>"Move to"</th><th></th> })}</tr></thead>
                <tbody>
                    {projects.into_iter().map(|p| {
                        let id = p.id;
                        let all = all.clone();
                        let people = project_people.clone();
                        view! {
                            <tr>
                                <td>{p.name.clone()} {p.archived.then(|| view! { <span class="badge deactivated">"archived"</span> })}</td>
                                <td><code>{p.slug.clone()}</code></td>
                                <td>
                                    {p.members.join(", ")}
                                    {can_manage.then(|| view! {
                                        <ActionForm action=actions.project_membership attr:class="inline">
                                            <input type="hidden" name="project_id" value=id.to_string()/>
                                            <select name="user_id" aria-label="Person">
                                                {people.iter().map(|(pid, name)| view! { <option value=pid.to_string()>{name.clone()}</option> }).collect_view()}
                                            </select>
                                            <select name="member" aria-label="Works on the project">
                                                <option value="true">"works on it"</option>
                                                <option value="false">"does not"</option>
                                            </select>
                                            <button type="submit">"Set"</button>
                                        </ActionForm>
                                    })}
                                </td>
                                {can_manage.then(|| view! {
                                    <td>
                                        <ActionForm action=actions.update_project attr:class="inline">
                                            <input type="hidden" name="project_id" value=id.to_string()/>
                                            <select name="team_id" aria-label="Team">
                                                {all.iter().map(|t| view! {
                                                    <option value=t.id.to_string() selected=t.id == team_id>{t.name.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit">"Move"</button>
                                        </ActionForm>
                                    </td>
                                    <td>
                                        <ActionForm action=actions.update_project attr:class="inline">
                                            <input type="hidden" name="project_id" value=id.to_string()/>
                                            <input type="hidden" name="archived" value=(!p.archived).to_string()/>
                                            <button type="submit">{if p.archived { "Restore" } else { "Archive" }}</button>
                                        </ActionForm>
                                    </td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {can_manage.then(|| view! {
                <ActionForm action=actions.create_project attr:class="inline">
                    <input type="hidden" name="team_id" value=team_id.to_string()/>
                    <input name="name" required placeholder="Project name" aria-label="Project name"/>
                    <input name="slug" required placeholder="slug" pattern="[a-z0-9-]+" aria-label="Project slug"/>
                    <button type="submit">"Add project"</button>
                </ActionForm>
            })}
        </section>
    }
}
