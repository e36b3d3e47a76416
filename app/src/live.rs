//! Live updates in the browser: a counter that moves whenever `/live` reports budget changes, for
//! pages (and the top bar's inbox count) to put in their resources' keys so they refetch by
//! themselves. One connection per open page, opened by `App` and shared through the context.

use leptos::prelude::*;

/// Opens the page's connection to `/live` and shares its count with everything below `App`.
pub fn provide_live_updates() {
    provide_context(LiveUpdates(open()));
}

#[derive(Clone, Copy)]
struct LiveUpdates(ReadSignal<u64>);

/// A count of budget changes seen since the page opened (always 0 on the server).
pub fn live_updates() -> ReadSignal<u64> {
    use_context::<LiveUpdates>().map_or_else(|| signal(0_u64).0, |live| live.0)
}

fn open() -> ReadSignal<u64> {
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
