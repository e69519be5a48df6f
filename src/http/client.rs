//! The client's address, for rate limits and logs. The TCP peer is the client unless it is one
//! of the trusted proxies (`NEWSDESK_TRUSTED_PROXIES`); only then are `Forwarded` (RFC 7239)
//! or, without it, `X-Forwarded-For` read, from the right, and the first hop that is not itself
//! a trusted proxy is the client. Headers from any other peer are ignored, so a client cannot
//! pick its own address.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, web};
use ipnet::IpNet;

use crate::state::AppState;

/// The `X-Forwarded-For` header.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of a request: the one function every rate limit and log line uses.
/// `None` only when the peer is unknown (a request built in a test without a socket).
pub fn client_address(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    resolve(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
}

/// Finds the client from the peer address, the request headers and the trusted proxies.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops = forwarded_hops(headers).unwrap_or_else(|| x_forwarded_for_hops(headers));
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address ("unknown", an obfuscated name, garbage) cannot be
        // followed further: the last trusted proxy is the best that is known.
        let Some(ip) = hop.map(canonical) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// IPv4 addresses mapped into IPv6 count as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The `for=` of every element of every `Forwarded` field, in order; `None` without the field.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut fields = headers.get_all(header::FORWARDED).peekable();
    fields.peek()?;
    let mut hops = Vec::new();
    for field in fields {
        let Ok(text) = field.to_str() else {
            hops.push(None);
            continue;
        };
        for element in text.split(',') {
            let value = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"'))
            });
            if let Some(value) = value {
                hops.push(parse_node(value));
            }
        }
    }
    Some(hops)
}

/// Every entry of every `X-Forwarded-For` field, in order.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(X_FORWARDED_FOR)
        .flat_map(|field| match field.to_str() {
            Ok(text) => text.split(',').map(|h| parse_node(h.trim())).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or
/// `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let inner = text.strip_prefix('[')?.split(']').next()?;
    inner.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=1.2.3.4"),
        ]);
        assert_eq!(resolve(ip("198.51.100.1"), &h, &[]), ip("198.51.100.1"));
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client made up the first entry; the proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_accepts_ports_and_quotes() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            (
                "forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"",
            ),
        ]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &h, &trusted),
            ip("2001:db8:cafe::17")
        );
        let h = headers(&[("forwarded", "For=\"192.0.2.61:8080\";by=10.0.0.1")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("192.0.2.61"));
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_last_trusted_proxy() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&[("forwarded", "for=192.0.2.60, for=unknown, for=10.0.0.3")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.3"));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        let trusted = nets(&["127.0.0.0/8"]);
        assert_eq!(
            resolve(ip("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
        // An IPv4-mapped peer is matched as IPv4.
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
    }
}
