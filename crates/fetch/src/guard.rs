//! The SSRF guard: a source URL must not reach loopback, private, link-local or cloud
//! metadata addresses unless the source is explicitly allowed to.
//!
//! Names are checked after DNS resolution (a public name can point at 127.0.0.1), by a
//! resolver that drops every forbidden address, and IP literals are checked before the
//! request and on every redirect hop. Proxies are never used, because a proxy would resolve
//! the name where the guard cannot see it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is refused, or `None` when it is a public unicast address.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped and IPv4-compatible forms reach the IPv4 address.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            forbidden_v6(v6)
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if a == 169 && b == 254 {
        // 169.254.169.254 is the metadata service of most clouds.
        "a link-local or cloud metadata address"
    } else if a == 100 && (64..128).contains(&b) {
        // Shared address space (RFC 6598); Alibaba Cloud's metadata is 100.100.100.200.
        "a carrier-grade NAT or cloud metadata address"
    } else if ip.is_unspecified() || a == 0 {
        "an unspecified address"
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        "a broadcast, multicast or reserved address"
    } else if (a == 192 && b == 0 && c == 0) || (a == 198 && (18..20).contains(&b)) {
        "a protocol-assignment or benchmarking address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else {
        return None;
    };
    Some(reason)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    let reason = if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_unspecified() {
        "an unspecified address"
    } else if first & 0xfe00 == 0xfc00 {
        // Unique local addresses, including AWS's metadata service fd00:ec2::254.
        "a private address"
    } else if first & 0xffc0 == 0xfe80 {
        "a link-local address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        "a documentation address"
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64 embeds an IPv4 address in the last 32 bits.
        let [.., a, b] = ip.segments();
        let v4 = Ipv4Addr::new((a >> 8) as u8, a as u8, (b >> 8) as u8, b as u8);
        return forbidden_v4(v4);
    } else {
        return None;
    };
    Some(reason)
}

/// Checks a URL whose host is an IP literal (names are checked by [`GuardedResolver`]).
pub(crate) fn check_literal(url: &url::Url) -> Result<(), String> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match forbidden(ip) {
        Some(reason) => Err(format!("{ip} is {reason}")),
        None => Ok(()),
    }
}

/// A DNS resolver that returns only the addresses the guard allows, and an error naming
/// the address when none is left.
#[derive(Debug, Default)]
pub(crate) struct GuardedResolver;

/// The resolver's error: the name resolved only to forbidden addresses.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match forbidden(a.ip()) {
                    Some(reason) => {
                        refused.get_or_insert_with(|| {
                            format!("{host} resolves to {}, {reason}", a.ip())
                        });
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let message = refused.unwrap_or_else(|| format!("{host} has no address"));
                return Err(Box::new(Refused(message)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.8",
            "172.16.4.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.1.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(forbidden(ip).is_some(), "{ip} should be refused");
        }
        for ip in ["8.8.8.8", "203.162.4.190", "172.32.0.1", "2001:4860:4860::8888", "100.128.0.1"]
        {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(forbidden(ip), None, "{ip} should be allowed");
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_are_left_to_the_resolver() {
        let check = |u: &str| check_literal(&url::Url::parse(u).unwrap());
        assert!(check("http://127.0.0.1:8080/feed").unwrap_err().contains("loopback"));
        assert!(check("http://[::1]/").is_err());
        assert!(
            check("http://169.254.169.254/latest/meta-data/").unwrap_err().contains("metadata")
        );
        assert!(check("https://vnexpress.net/rss").is_ok());
        assert!(check("http://8.8.8.8/").is_ok());
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_addresses() {
        let resolver = GuardedResolver;
        let e = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost was resolved"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("localhost resolves to") && e.contains("loopback"), "{e}");
    }
}
