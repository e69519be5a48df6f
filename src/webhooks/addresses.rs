//! Which addresses a webhook may reach: every block of the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries that is not globally reachable is refused, and an IPv6 address carrying
//! an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is
//! judged by the IPv4 address inside it.
//!
//! The tables are written out here rather than taken from a crate: `std`'s `is_global` is
//! unstable; `ip_network` 0.4.1's IPv6 `is_global` treats NAT64, 6to4, IPv4-mapped,
//! IPv4-compatible and the `2001::/23` assignments as global; `nex-core`'s copy of the `std`
//! rules drags in a packet-capture stack and still passes NAT64 and IPv4-compatible addresses
//! without looking inside; `ssrf-guard` is a 0.1 release built around its own reqwest client.
//! Where the registry carves a reachable piece out of a refused block (the anycast addresses
//! `192.0.0.9` and `192.0.0.10`, parts of `2001::/23`), the whole block is refused: no webhook
//! receiver lives there.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not globally reachable: the IANA IPv4 Special-Purpose Address Registry
/// (rows whose "Globally Reachable" is False or N/A) plus multicast.
const IPV4_BLOCKS: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "\"this network\""),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private use"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared address space (CGN)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local"),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private use"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "IETF protocol assignments"),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (TEST-NET-1)",
    ),
    (Ipv4Addr::new(192, 88, 99, 0), 24, "6to4 relay anycast"),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private use"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (TEST-NET-2)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (TEST-NET-3)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (
        Ipv4Addr::new(240, 0, 0, 0),
        4,
        "reserved (with the limited broadcast address)",
    ),
];

/// IPv6 blocks that are not globally reachable: the IANA IPv6 Special-Purpose Address Registry
/// (rows whose "Globally Reachable" is False), plus the deprecated site-local block and
/// multicast. The forms that carry an IPv4 address are handled before this table.
const IPV6_BLOCKS: &[(Ipv6Addr, u8, &str)] = &[
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 128, "unspecified"),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 128, "loopback"),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use IPv4/IPv6 translation",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 1, 0, 0, 0, 0),
        64,
        "dummy prefix",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments (with Teredo)",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        "segment routing (SRv6) SIDs",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique-local",
    ),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        "site-local (deprecated)",
    ),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

/// Why an address is refused: the special-purpose block it (or the IPv4 address inside it)
/// falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialPurpose {
    /// The block, e.g. `127.0.0.0/8`.
    pub network: IpAddr,
    /// The block's prefix length.
    pub prefix: u8,
    /// What the registry calls it, e.g. `loopback`.
    pub name: &'static str,
    /// The IPv4 address an IPv6 address carries, when that is what was judged.
    pub embedded: Option<Ipv4Addr>,
}

impl fmt::Display for SpecialPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.embedded {
            Some(v4) => write!(f, "carries {v4}, ")?,
            None => f.write_str("is ")?,
        }
        write!(
            f,
            "in {}/{} ({}), a special-purpose block that is not globally reachable",
            self.network, self.prefix, self.name
        )
    }
}

fn in_v4(ip: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(network) & mask
}

fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

fn special_v4(ip: Ipv4Addr) -> Option<SpecialPurpose> {
    IPV4_BLOCKS
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map(|(network, prefix, name)| SpecialPurpose {
            network: IpAddr::V4(*network),
            prefix: *prefix,
            name,
            embedded: None,
        })
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d` (not `::` or `::1`), NAT64 `64:ff9b::a.b.c.d`, and 6to4 `2002:AABB:CCDD::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::from(u32::from(s[6]) << 16 | u32::from(s[7]));
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => None,
        [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, high, low16, ..] => Some(Ipv4Addr::from(u32::from(high) << 16 | u32::from(low16))),
        _ => None,
    }
}

/// The special-purpose block `ip` falls in, or `None` when it is globally reachable.
pub fn special_purpose(ip: IpAddr) -> Option<SpecialPurpose> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return special_v4(v4).map(|block| SpecialPurpose {
                    embedded: Some(v4),
                    ..block
                });
            }
            IPV6_BLOCKS
                .iter()
                .find(|(network, prefix, _)| in_v6(v6, *network, *prefix))
                .map(|(network, prefix, name)| SpecialPurpose {
                    network: IpAddr::V6(*network),
                    prefix: *prefix,
                    name,
                    embedded: None,
                })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> Option<SpecialPurpose> {
        special_purpose(ip.parse().unwrap())
    }

    #[test]
    fn every_special_purpose_block_is_refused_at_both_ends() {
        for ip in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.0",
            "10.255.255.255",
            "100.64.0.0",
            "100.127.255.255",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.0",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "64:ff9b:1::1",
            "100::1",
            "100:0:0:1::1",
            "2001::1",
            "2001:1ff:ffff::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fdff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(refused(ip).is_some(), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_carrying_an_ipv4_address_are_judged_by_it() {
        for (ip, inside) in [
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("::127.0.0.1", "127.0.0.1"),
            ("64:ff9b::7f00:1", "127.0.0.1"),
            ("64:ff9b::169.254.169.254", "169.254.169.254"),
            ("2002:7f00:1::", "127.0.0.1"),
            ("2002:c0a8:101::1", "192.168.1.1"),
            ("::ffff:198.18.0.1", "198.18.0.1"),
        ] {
            let block = refused(ip).unwrap_or_else(|| panic!("{ip} was allowed"));
            assert_eq!(block.embedded, Some(inside.parse().unwrap()), "{ip}");
        }
        for ip in [
            "::ffff:93.184.215.14",
            "64:ff9b::808:808",
            "2002:5db8:d70e::1",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn globally_reachable_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "93.184.215.14",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:200::1",
            "2a00:1450:4001::1",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
    }

    #[test]
    fn the_reason_names_the_block_and_the_address_inside() {
        let block = refused("64:ff9b::7f00:1").unwrap();
        assert_eq!(
            block.to_string(),
            "carries 127.0.0.1, in 127.0.0.0/8 (loopback), a special-purpose block that is not globally reachable"
        );
    }
}
