//! The outbound HTTP client's resolver: the system's lookup, refusing a name that resolves to any
//! internal address (unless the configuration allows that host).

use app::backend::services::outbound::OutboundPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;

pub struct GuardedDns(pub OutboundPolicy);

impl Resolve for GuardedDns {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            policy.refuse_internal(&host, found.iter().map(SocketAddr::ip))?;
            let addrs: Addrs = Box::new(found.into_iter());
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_of_internal_addresses_are_refused_unless_allowed() {
        let refused = GuardedDns(OutboundPolicy::default()).resolve("localhost".parse().unwrap()).await;
        let message = refused.err().expect("localhost resolves to loopback").to_string();
        assert!(message.contains("internal address"), "{message}");
        let allowed = GuardedDns(OutboundPolicy::new(["localhost"])).resolve("localhost".parse().unwrap()).await;
        assert!(allowed.is_ok_and(|mut found| found.next().is_some_and(|a| a.ip().is_loopback())));
    }
}
