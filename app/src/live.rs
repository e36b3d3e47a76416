//! Live updates in the browser: a counter that moves whenever `/live` reports budget changes, for
//! pages to put in their resources' keys so they refetch by themselves.

use leptos::prelude::*;

/// A count of budget changes seen since the page opened (always 0 on the server).
pub fn live_updates() -> ReadSignal<u64> {
    let (changes, set_changes) = signal(0_u64);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast};
        if let Ok(source) = web_sys::EventSource::new("/live") {
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                set_changes.update(|n| *n += 1);
            });
            source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            let source = send_wrapper::SendWrapper::new(source);
            on_cleanup(move || source.close());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_changes;
    changes
}
