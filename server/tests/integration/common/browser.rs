//! A cookie-keeping client that behaves like a browser tab: same-origin POSTs to server functions.

use super::TestApp;
use app::backend::services::accounts::{create_account, NewAccount};
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::Response;
use std::sync::Mutex;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookie: Mutex<Option<String>>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Browser { base: app.address.clone(), client: app.client.clone(), cookie: Mutex::new(None) }
    }

    /// A tab on another machine: its requests come from `local` (an address of the loopback range).
    pub fn from_address(app: &TestApp, local: std::net::IpAddr) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .unwrap();
        Browser { client, ..Browser::new(app) }
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Another tab that presents the same session cookie.
    pub fn with_cookie(app: &TestApp, cookie: Option<String>) -> Self {
        Browser { cookie: Mutex::new(cookie), ..Browser::new(app) }
    }

    pub async fn get(&self, path: &str) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = self.cookie() {
            request = request.header(COOKIE, cookie);
        }
        self.remember(request.send().await.expect("request is sent"))
    }

    /// Calls a server function with a form body, from this site's own origin.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.call_from(&self.base.clone(), endpoint, form).await
    }

    /// The same, from another origin (what a CSRF attempt looks like).
    pub async fn call_from(&self, origin: &str, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let mut request = self.client.post(format!("{}/rpc/{endpoint}", self.base)).header(ORIGIN, origin).form(form);
        if let Some(cookie) = self.cookie() {
            request = request.header(COOKIE, cookie);
        }
        self.remember(request.send().await.expect("request is sent"))
    }

    /// Calls a server function that takes JSON.
    pub async fn call_json(&self, endpoint: &str, body: serde_json::Value) -> Response {
        let mut request =
            self.client.post(format!("{}/rpc/{endpoint}", self.base)).header(ORIGIN, self.base.clone()).json(&body);
        if let Some(cookie) = self.cookie() {
            request = request.header(COOKIE, cookie);
        }
        self.remember(request.send().await.expect("request is sent"))
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.call("login", &[("email", email), ("password", password)]).await
    }

    fn remember(&self, response: Response) -> Response {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().unwrap();
            let pair = text.split(';').next().unwrap().trim().to_owned();
            if let Some(value) = pair.strip_prefix("tollgate_session=") {
                let removed = value.is_empty() || text.contains("Max-Age=0");
                *self.cookie.lock().unwrap() = (!removed).then_some(pair.clone());
            }
        }
        response
    }
}

/// Creates a sign-in account with the given roles (plus viewer) in `org_id`.
pub async fn account(app: &TestApp, org_id: Uuid, email: &str, roles: &[&str]) -> Uuid {
    let new = NewAccount { org_id, email, display_name: email, password: PASSWORD, roles };
    create_account(&app.db, new, app.clock_now()).await.expect("the account is created").id
}

/// Signs a new account in and returns its browser.
pub async fn signed_in(app: &TestApp, org_id: Uuid, email: &str, roles: &[&str]) -> (Browser, Uuid) {
    let id = account(app, org_id, email, roles).await;
    let browser = Browser::new(app);
    let response = browser.sign_in(email, PASSWORD).await;
    assert!(response.status().is_success(), "{email} signs in: {}", response.status());
    assert!(browser.cookie().is_some(), "signing in sets the session cookie");
    (browser, id)
}
