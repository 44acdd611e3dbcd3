//! The SSRF guard: which addresses a source's requests may reach.
//!
//! Addresses fall in three classes. Public unicast addresses are open to every source.
//! Loopback and private networks are open only to sources an administrator allowed
//! ([`Access::Private`]: the demo, tests, an intranet portal). Everything else is closed to
//! every source whatever its setting: link-local and cloud metadata addresses (a metadata
//! service hands out the machine's credentials, and no feed lives there), carrier-grade
//! NAT, and addresses that are not one host (unspecified, broadcast, multicast, reserved).
//!
//! Names are checked after DNS resolution (a public name can point at 127.0.0.1), by a
//! resolver that drops every address the source may not reach, and IP literals are checked
//! before the request and on every redirect hop, so a redirect cannot take an allowed
//! source where its setting does not reach. Proxies are never used, because a proxy would
//! resolve the name where the guard cannot see it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::client::Access;

/// What an address is, as far as the guard is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A public unicast address.
    Public,
    /// Loopback or a private network, and why: reachable with [`Access::Private`].
    Private(&'static str),
    /// Reachable by no source, and why.
    Never(&'static str),
}

/// Why a source with `access` may not reach `ip` (what the address is, and whether
/// allowing private addresses would admit it), or `None` when it may.
fn refusal(ip: IpAddr, access: Access) -> Option<(&'static str, bool)> {
    match (classify(ip), access) {
        (Class::Public, _) | (Class::Private(_), Access::Private) => None,
        (Class::Private(what), Access::Public) => Some((what, true)),
        (Class::Never(what), _) => Some((what, false)),
    }
}

/// The class of an address; IPv4 addresses written as IPv6 are classed as the IPv4 address
/// they reach.
fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`, deprecated but still parsed and routed by some stacks) and
/// NAT64 (`64:ff9b::a.b.c.d`, translated by a gateway).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(low());
    }
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then(low)
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Class::Private("a loopback address")
    } else if ip.is_private() {
        Class::Private("a private address")
    } else if a == 169 && b == 254 {
        // 169.254.169.254 is the metadata service of most clouds.
        Class::Never("a link-local or cloud metadata address")
    } else if a == 100 && (64..128).contains(&b) {
        // Shared address space (RFC 6598); Alibaba Cloud's metadata is 100.100.100.200.
        Class::Never("a carrier-grade NAT or cloud metadata address")
    } else if ip.is_unspecified() || a == 0 {
        // Connecting to 0.0.0.0 reaches the machine itself on Linux.
        Class::Never("an unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Class::Never("a broadcast, multicast or reserved address")
    } else if (a == 192 && b == 0 && c == 0) || (a == 198 && (18..20).contains(&b)) {
        Class::Never("a protocol-assignment or benchmarking address")
    } else if ip.is_documentation() {
        Class::Never("a documentation address")
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let s = ip.segments();
    if ip.is_loopback() {
        Class::Private("a loopback address")
    } else if ip.is_unspecified() {
        Class::Never("an unspecified address")
    } else if s == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
        // AWS's metadata service, inside the unique local range below.
        Class::Never("a cloud metadata address")
    } else if s[0] & 0xfe00 == 0xfc00 {
        // Unique local addresses: IPv6's private networks.
        Class::Private("a private address")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Class::Never("a link-local address")
    } else if ip.is_multicast() {
        Class::Never("a multicast address")
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Class::Never("a documentation address")
    } else {
        Class::Public
    }
}

/// Checks a URL whose host is an IP literal (names are checked by [`GuardedResolver`]).
pub(crate) fn check_literal(url: &url::Url, access: Access) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match refusal(ip, access) {
        Some((what, allowable)) => Err(Refused { reason: format!("{ip} is {what}"), allowable }),
        None => Ok(()),
    }
}

/// A DNS resolver that returns only the addresses a source with its access may reach, and
/// an error naming the address when none is left.
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) access: Access,
}

/// An address the guard refuses: which and why, and whether allowing private addresses
/// for the source would admit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub(crate) reason: String,
    pub(crate) allowable: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refused {}

/// The addresses `host` resolved to that a source with `access` may reach, or the refusal
/// of the first one dropped when none is left.
pub(crate) fn screen(
    host: &str,
    addrs: impl IntoIterator<Item = SocketAddr>,
    access: Access,
) -> Result<Vec<SocketAddr>, Refused> {
    let mut refused: Option<Refused> = None;
    let mut allowable = true;
    let allowed: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match refusal(a.ip(), access) {
            Some((what, admits)) => {
                // Allowing private addresses helps only if it would admit every address.
                allowable &= admits;
                refused.get_or_insert_with(|| Refused {
                    reason: format!("{host} resolves to {}, {what}", a.ip()),
                    allowable: admits,
                });
                false
            }
            None => true,
        })
        .collect();
    if !allowed.is_empty() {
        return Ok(allowed);
    }
    Err(match refused {
        Some(r) => Refused { allowable, ..r },
        None => Refused { reason: format!("{host} has no address"), allowable: false },
    })
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let access = self.access;
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            match screen(&host, addrs, access) {
                Ok(allowed) => Ok(Box::new(allowed.into_iter()) as Addrs),
                Err(r) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Class {
        classify(ip.parse().unwrap())
    }

    #[test]
    fn loopback_and_private_networks_are_private() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.8",
            "172.16.4.1",
            "172.31.255.255",
            "192.168.1.1",
            "::1",
            "fd12:3456::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.1.1",
            "64:ff9b::a01:101",
        ] {
            assert!(matches!(class(ip), Class::Private(_)), "{ip}: {:?}", class(ip));
        }
    }

    #[test]
    fn link_local_metadata_and_non_host_addresses_are_never_reached() {
        for ip in [
            "169.254.169.254",
            "169.254.0.1",
            "100.100.100.200",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.0.192",
            "198.18.0.1",
            "192.0.2.1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:169.254.169.254",
            "::ffff:100.100.100.200",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(matches!(class(ip), Class::Never(_)), "{ip}: {:?}", class(ip));
        }
        assert_eq!(class("fd00:ec2::254"), Class::Never("a cloud metadata address"));
        assert_eq!(class("fd00:ec2::253"), Class::Private("a private address"));
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in ["8.8.8.8", "203.162.4.190", "172.32.0.1", "2001:4860:4860::8888", "100.128.0.1"]
        {
            assert_eq!(class(ip), Class::Public, "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_are_left_to_the_resolver() {
        let check = |u: &str, access| check_literal(&url::Url::parse(u).unwrap(), access);
        let e = check("http://127.0.0.1:8080/feed", Access::Public).unwrap_err();
        assert!(e.reason.contains("loopback") && e.allowable, "{e:?}");
        assert!(check("http://127.0.0.1:8080/feed", Access::Private).is_ok());
        assert!(check("http://[::1]/", Access::Public).is_err());
        for access in [Access::Public, Access::Private] {
            for url in [
                "http://169.254.169.254/latest/meta-data/",
                // The URL parser reads decimal and hexadecimal forms as the same address.
                "http://2852039166/latest/meta-data/",
                "http://0xa9.0xfe.0xa9.0xfe/",
                "http://[::ffff:a9fe:a9fe]/",
                "http://[fd00:ec2::254]/latest/meta-data/",
            ] {
                let e = check(url, access).unwrap_err();
                assert!(e.reason.contains("metadata") && !e.allowable, "{url}: {e:?}");
            }
            assert!(check("https://vnexpress.net/rss", access).is_ok());
            assert!(check("http://8.8.8.8/", access).is_ok());
        }
    }

    #[test]
    fn resolved_addresses_are_screened_by_access() {
        let addrs = |ips: &[&str]| -> Vec<SocketAddr> {
            ips.iter().map(|ip| SocketAddr::new(ip.parse().unwrap(), 0)).collect()
        };
        // A name pointing at the metadata service is refused whatever the setting.
        for access in [Access::Public, Access::Private] {
            let e = screen("metadata.example", addrs(&["169.254.169.254"]), access).unwrap_err();
            assert_eq!(
                e.reason,
                "metadata.example resolves to 169.254.169.254, a link-local or cloud metadata address"
            );
            assert!(!e.allowable);
        }
        let e = screen("intranet", addrs(&["10.0.0.5"]), Access::Public).unwrap_err();
        assert!(e.reason.contains("a private address") && e.allowable, "{e:?}");
        assert_eq!(
            screen("intranet", addrs(&["10.0.0.5"]), Access::Private).unwrap(),
            addrs(&["10.0.0.5"])
        );
        // Mixed answers keep only what may be reached.
        assert_eq!(
            screen("mixed", addrs(&["fe80::1", "10.0.0.5", "8.8.8.8"]), Access::Private).unwrap(),
            addrs(&["10.0.0.5", "8.8.8.8"])
        );
        let e = screen("mixed", addrs(&["10.0.0.5", "169.254.1.1"]), Access::Public).unwrap_err();
        assert!(!e.allowable, "allowing private addresses would not help: {e:?}");
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_addresses() {
        let public = GuardedResolver { access: Access::Public };
        let e = match public.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost was resolved"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("localhost resolves to") && e.contains("loopback"), "{e}");
        let private = GuardedResolver { access: Access::Private };
        let addrs: Vec<SocketAddr> = match private.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => addrs.collect(),
            Err(e) => panic!("{e}"),
        };
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
