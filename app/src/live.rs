//! Live updates in the browser: a counter that moves whenever `/live` reports budget changes, for
//! pages (and the top bar's inbox count) to put in their resources' keys so they refetch by
//! themselves. One connection per open page, shared through the context.

use leptos::prelude::*;

/// Shares the page's count of changes with everything below; in the browser, once `account` shows
/// someone is signed in, opens the page's one connection to `/live` (signed out there is none).
pub fn provide_live_updates(account: crate::components::AccountResource) {
    let (changes, set_changes) = signal(0_u64);
    provide_context(LiveUpdates(changes));
    #[cfg(feature = "hydrate")]
    {
        let source = StoredValue::new(None::<send_wrapper::SendWrapper<web_sys::EventSource>>);
        Effect::new(move |_| {
            let signed_in = account.get().and_then(Result::ok).flatten().is_some();
            if signed_in && source.with_value(Option::is_none) {
                source.set_value(open(set_changes));
            }
        });
        on_cleanup(move || source.with_value(|open| open.iter().for_each(|s| s.close())));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_changes, account);
}

#[derive(Clone, Copy)]
struct LiveUpdates(ReadSignal<u64>);

/// A count of budget changes seen since the page opened (always 0 on the server).
pub fn live_updates() -> ReadSignal<u64> {
    use_context::<LiveUpdates>().map_or_else(|| signal(0_u64).0, |live| live.0)
}

#[cfg(feature = "hydrate")]
fn open(set_changes: WriteSignal<u64>) -> Option<send_wrapper::SendWrapper<web_sys::EventSource>> {
    use wasm_bindgen::{closure::Closure, JsCast};
    let source = web_sys::EventSource::new("/live").ok()?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
        set_changes.update(|n| *n += 1);
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    Some(send_wrapper::SendWrapper::new(source))
}
