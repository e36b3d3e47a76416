//! Where alert webhooks, Slack messages and event hooks may be sent: http(s) URLs whose host
//! resolves to public addresses only, unless an admin allowed the host in the configuration
//! (`TOLLGATE_OUTBOUND_ALLOW`). Checked when a URL is saved and again, after DNS, when sending.

use std::net::{IpAddr, SocketAddr};
use tollgate_domain::outbound::is_public;

#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Hosts (names or addresses, lower case) that may be reached whatever they resolve to.
    allowed_hosts: Vec<String>,
}

impl OutboundPolicy {
    pub fn new(allowed_hosts: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        let allowed_hosts = allowed_hosts
            .into_iter()
            .map(|h| h.as_ref().trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        OutboundPolicy { allowed_hosts }
    }

    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.allowed_hosts.contains(&host)
    }

    /// Whether a URL may be sent to: `check_literal`, then its host resolved now, refusing any
    /// internal address. Callers run it before a write transaction (a lookup can take seconds).
    pub async fn check(&self, url: &str) -> Result<(), String> {
        let (host, port) = self.check_literal(url)?;
        if self.allows_host(&host) || literal_ip(&host).is_some() {
            return Ok(());
        }
        let found = tokio::net::lookup_host((host.as_str(), port)).await;
        match found {
            Ok(found) => self.refuse_internal(&host, found.map(|address: SocketAddr| address.ip())),
            // A name that does not resolve now is no way inside; the sender's resolver checks it
            // again at every send.
            Err(_) => Ok(()),
        }
    }

    /// What can be told of a URL without the network: an http(s) URL whose host is not an internal
    /// address written out, nor `localhost`. Returns its host and port.
    pub fn check_literal(&self, url: &str) -> Result<(String, u16), String> {
        let (host, port) = self.parse(url)?;
        if self.allows_host(&host) {
            return Ok((host, port));
        }
        if let Some(ip) = literal_ip(&host) {
            self.refuse_internal(&host, [ip])?;
        } else if host == "localhost" || host.ends_with(".localhost") {
            return Err(format!("'{host}' is this machine; Tollgate sends only to public addresses"));
        }
        Ok((host, port))
    }

    /// The URL's host and port, if it is an http(s) URL at all.
    pub fn parse(&self, url: &str) -> Result<(String, u16), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("'{url}' is not an http(s) URL"));
        }
        let host = parsed.host_str().ok_or_else(|| format!("'{url}' has no host"))?.to_owned();
        Ok((host, parsed.port_or_known_default().unwrap_or(443)))
    }

    /// Refuses a host when it has no address, or any address it has is not public.
    pub fn refuse_internal(&self, host: &str, addresses: impl IntoIterator<Item = IpAddr>) -> Result<(), String> {
        if self.allows_host(host) {
            return Ok(());
        }
        let mut any = false;
        for ip in addresses {
            any = true;
            if !is_public(ip) {
                return Err(format!(
                    "'{host}' resolves to {ip}, an internal address; Tollgate sends only to public addresses \
                     unless an admin allows the host (TOLLGATE_OUTBOUND_ALLOW)"
                ));
            }
        }
        any.then_some(()).ok_or_else(|| format!("the host '{host}' has no address"))
    }
}

/// The address a URL's host names literally (`[::1]` included), if it is one.
fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_destinations_are_refused_unless_allowed() {
        let policy = OutboundPolicy::default();
        for url in [
            "http://127.0.0.1:6379/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://localhost:8080/",
            "http://10.1.2.3/hook",
            "http://0x7f000001/",
            "ftp://example.com/",
        ] {
            assert!(policy.check(url).await.is_err(), "{url} must be refused");
        }
        let allowed = OutboundPolicy::new(["127.0.0.1", "LocalHost"]);
        assert!(allowed.check("http://127.0.0.1:6379/").await.is_ok());
        assert!(allowed.check("http://localhost:8080/").await.is_ok());
        assert!(allowed.check("http://169.254.169.254/").await.is_err());
    }
}
