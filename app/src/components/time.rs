//! Dates and times on every page, in the organization's time zone, by one `TimeFace`.
//!
//! The server renders with the face of the signed-in account's organization and writes it into the
//! page (`<meta name="time-face">`); the browser reads it back before hydrating, so both format
//! every instant alike without the time zone database in the bundle. Signed out, times are UTC.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use tollgate_domain::TimeFace;

/// The face of what is being rendered, or of the account a server function answers.
pub fn time_face() -> TimeFace {
    use_context::<TimeFace>().unwrap_or_else(account_face)
}

/// An instant to the minute with the zone's abbreviation: `2026-12-07 18:11 CET`.
pub fn instant(at: DateTime<Utc>) -> String {
    time_face().instant(at)
}

/// The local day of an instant: `2026-12-07`.
pub fn day(at: DateTime<Utc>) -> String {
    time_face().day(at)
}

/// A budget window as the local days it covers: `2026-12-01 – 2026-12-31`.
pub fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    time_face().window(start, end)
}

/// The last local day of a window that ends at `end`.
pub fn last_day(end: DateTime<Utc>) -> String {
    time_face().last_day(end)
}

/// The face for this server render, provided to it; the shell writes it into the page.
pub fn for_render() -> TimeFace {
    let face = account_face();
    provide_context(face.clone());
    face
}

/// The signed-in account's organization's face on the server; UTC signed out (and in the browser,
/// where the face always comes from the page).
fn account_face() -> TimeFace {
    #[cfg(feature = "ssr")]
    if let Ok(account) = crate::auth::current_account() {
        let tz: Option<chrono_tz::Tz> = account.time_zone.parse().ok();
        if let (Some(tz), Ok(state)) = (tz, crate::state::app_state()) {
            return cached(tz, state.clock.now());
        }
    }
    TimeFace::default()
}

/// Faces by zone and year: working one out looks at every day of fifteen years.
#[cfg(feature = "ssr")]
fn cached(tz: chrono_tz::Tz, now: DateTime<Utc>) -> TimeFace {
    use chrono::Datelike;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static FACES: LazyLock<Mutex<HashMap<(chrono_tz::Tz, i32), TimeFace>>> = LazyLock::new(Default::default);
    let key = (tz, now.year());
    if let Some(face) = FACES.lock().ok().and_then(|faces| faces.get(&key).cloned()) {
        return face;
    }
    let face = TimeFace::of(tz, now);
    if let Ok(mut faces) = FACES.lock() {
        faces.insert(key, face.clone());
    }
    face
}

/// In the browser, before hydration: the face the server rendered with.
#[cfg(feature = "hydrate")]
pub fn provide_from_page() {
    let face = document()
        .query_selector("meta[name=time-face]")
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .and_then(|json| serde_json::from_str::<TimeFace>(&json).ok())
        .unwrap_or_default();
    provide_context(face);
}
