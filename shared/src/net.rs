//! The client's address behind gateways and load balancers.
//!
//! Serverless platforms and reverse proxies connect to us themselves and
//! name the real client in a header (`X-Forwarded-For` by default). Such a
//! header is believed only from a peer listed in `YAOJIAN_TRUSTED_PROXIES`:
//! from anyone else it is a value the client chose, and keying rate limits on
//! it would let a client pick a fresh bucket per request.

use std::net::IpAddr;

use ipnet::IpNet;

/// The proxies whose client-address header is believed, and that header.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: String,
}

pub const DEFAULT_CLIENT_IP_HEADER: &str = "x-forwarded-for";

impl TrustedProxies {
    /// No proxy is trusted: the peer is the client.
    pub fn none() -> Self {
        TrustedProxies {
            nets: Vec::new(),
            header: DEFAULT_CLIENT_IP_HEADER.to_owned(),
        }
    }

    /// A comma-separated list of addresses or CIDR networks
    /// (`10.0.0.0/8, 100.64.0.0/10, 127.0.0.1`), and the header they set.
    pub fn parse(list: &str, header: Option<&str>) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{part}` is not an address or a CIDR network"))?;
            nets.push(net);
        }
        let header = header
            .unwrap_or(DEFAULT_CLIENT_IP_HEADER)
            .trim()
            .to_ascii_lowercase();
        if header.is_empty()
            || !header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("YAOJIAN_CLIENT_IP_HEADER is not a header name".into());
        }
        Ok(TrustedProxies { nets, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy;
    /// then, walking the header's list from the right (each proxy appends
    /// the address it saw), the first address that is not itself a trusted
    /// proxy. A malformed entry stops the walk at the last good address.
    pub fn client(&self, peer: Option<IpAddr>, header_values: &[&str]) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let listed = header_values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for entry in listed.into_iter().rev() {
            let Some(ip) = parse_entry(entry) else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }

    /// The client address of a request, as text (the key of rate limits).
    pub fn client_of(&self, req: &poem::Request) -> String {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let values: Vec<&str> = req
            .headers()
            .get_all(self.header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        match self.client(peer, &values) {
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        }
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80` or `::1`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

/// IPv4 peers reached over an IPv6 socket appear as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_of_an_untrusted_peer_is_ignored() {
        let p = TrustedProxies::parse("10.0.0.0/8", None).unwrap();
        assert_eq!(
            p.client(Some(ip("203.0.113.9")), &["1.1.1.1"]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            TrustedProxies::none().client(Some(ip("10.1.1.1")), &["1.1.1.1"]),
            Some(ip("10.1.1.1"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let p = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1", Some("X-Forwarded-For")).unwrap();
        // The client forged the first entry; the proxies appended the rest.
        let got = p.client(
            Some(ip("127.0.0.1")),
            &["6.6.6.6, 198.51.100.7", "10.2.3.4"],
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
        // Nothing but proxies: the leftmost proxy is what we know.
        assert_eq!(
            p.client(Some(ip("10.0.0.1")), &["10.0.0.2"]),
            Some(ip("10.0.0.2"))
        );
        // A malformed entry stops the walk.
        assert_eq!(
            p.client(Some(ip("10.0.0.1")), &["1.1.1.1, junk"]),
            Some(ip("10.0.0.1"))
        );
        // IPv4 over IPv6 sockets.
        assert_eq!(
            p.client(Some(ip("::ffff:10.0.0.1")), &["192.0.2.1:4433"]),
            Some(ip("192.0.2.1"))
        );
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33", None).is_err());
        assert!(TrustedProxies::parse("proxy.local", None).is_err());
        assert!(TrustedProxies::parse("10.0.0.1", Some("x forwarded")).is_err());
    }
}
