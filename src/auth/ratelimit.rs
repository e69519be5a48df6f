//! Rate limits: per client address for callers without credentials, per partner key with the
//! key's own limit, per signed-in user, and failed password checks (sign-ins and password
//! changes) per address and per email. Limits are announced with
//! the `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-09.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use actix_web::ResponseError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::config::Rate;
use crate::error::ApiError;

/// The `RateLimit-Policy` field: the quota policies that apply to a request.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The `RateLimit` field: what is left of the quota, and when it resets.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Paths that never count against the per-address limit (probes and scrapers).
pub const EXEMPT_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics"];

type KeyedLimiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;
type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// One limit's decision, with what the headers announce.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The policy name (`per-address`, `per-key`, `per-user` or `sign-in`).
    pub policy: &'static str,
    /// The quota: requests per window.
    pub quota: u32,
    /// The window, in seconds.
    pub window: u64,
    /// Requests left in the quota.
    pub remaining: u32,
    /// Seconds until the quota is whole again (or, when refused, until a retry may pass).
    pub reset: u64,
    /// Whether the request may go on.
    pub allowed: bool,
}

impl Decision {
    /// Adds this policy to the `RateLimit-Policy` and `RateLimit` lists of a response (a
    /// sign-in answer carries both the per-address and the sign-in policy).
    pub fn announce(&self, headers: &mut HeaderMap) {
        let policy = format!("\"{}\";q={};w={}", self.policy, self.quota, self.window);
        let state = format!("\"{}\";r={};t={}", self.policy, self.remaining, self.reset);
        append_item(headers, RATELIMIT_POLICY, &policy);
        append_item(headers, RATELIMIT, &state);
    }

    /// The 429 answer for a refused request: problem+json, `Retry-After`, never stored.
    pub fn refusal(&self, detail: &str) -> HttpResponse {
        let mut response = ApiError::TooManyRequests {
            retry_after: self.reset.max(1),
            detail: detail.to_owned(),
        }
        .error_response();
        self.announce(response.headers_mut());
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

fn append_item(headers: &mut HeaderMap, name: HeaderName, item: &str) {
    let value = match headers.get(&name).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => format!("{existing}, {item}"),
        _ => item.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(name, value);
    }
}

fn quota_of(rate: Rate) -> Option<Quota> {
    let count = NonZeroU32::new(rate.count)?;
    let per_cell = rate.period.checked_div(rate.count)?;
    Quota::with_period(per_cell.max(Duration::from_nanos(1))).map(|q| q.allow_burst(count))
}

fn seconds_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The per-address, per-user and per-key limiters of one server.
pub struct RateLimits {
    rate: Rate,
    anonymous: Option<KeyedLimiter<IpAddr>>,
    user_rate: Rate,
    users: Option<KeyedLimiter<String>>,
    keys: Mutex<HashMap<String, (Rate, Arc<DirectLimiter>)>>,
    /// Failed password checks per address and per email.
    pub sign_in: SignInThrottle,
}

impl RateLimits {
    /// Limiters for the configured per-address, per-user and sign-in rates (`0` = off).
    pub fn new(anonymous: Rate, user: Rate, sign_in: Rate) -> Self {
        RateLimits {
            rate: anonymous,
            anonymous: quota_of(anonymous)
                .map(RateLimiter::keyed)
                .map(|l| l.with_middleware()),
            user_rate: user,
            users: quota_of(user)
                .map(RateLimiter::keyed)
                .map(|l| l.with_middleware()),
            keys: Mutex::new(HashMap::new()),
            sign_in: SignInThrottle::new(sign_in),
        }
    }

    /// Counts a request by the signed-in user `user_id`; `None` when the limit is off.
    pub fn check_user(&self, user_id: &str) -> Option<Decision> {
        let limiter = self.users.as_ref()?;
        let outcome = limiter.check_key(&user_id.to_owned());
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        Some(decide(
            "per-user",
            self.user_rate,
            outcome,
            limiter.clock().now(),
        ))
    }

    /// Counts a request without credentials from `address`; `None` when the limit is off.
    pub fn check_address(&self, address: IpAddr) -> Option<Decision> {
        let limiter = self.anonymous.as_ref()?;
        let outcome = limiter.check_key(&address);
        // Idle addresses are forgotten now and then so the table stays small.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        Some(decide(
            "per-address",
            self.rate,
            outcome,
            limiter.clock().now(),
        ))
    }

    /// Counts a request made with the key `key_id`, whose own limit is `rate`; `None` when the
    /// key is unlimited.
    pub fn check_key(&self, key_id: &str, rate: Rate) -> Option<Decision> {
        let limiter = {
            let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            match keys.get(key_id) {
                Some((known, limiter)) if *known == rate => limiter.clone(),
                _ => {
                    let limiter = Arc::new(RateLimiter::direct(quota_of(rate)?).with_middleware());
                    keys.insert(key_id.to_owned(), (rate, limiter.clone()));
                    limiter
                }
            }
        };
        let outcome = limiter.check();
        Some(decide("per-key", rate, outcome, limiter.clock().now()))
    }
}

fn decide(
    policy: &'static str,
    rate: Rate,
    outcome: Result<
        governor::middleware::StateSnapshot,
        governor::NotUntil<<DefaultClock as Clock>::Instant>,
    >,
    now: <DefaultClock as Clock>::Instant,
) -> Decision {
    let window = rate.period.as_secs().max(1);
    let per_cell = rate.period / rate.count.max(1);
    match outcome {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            let used = rate.count.saturating_sub(remaining);
            Decision {
                policy,
                quota: rate.count,
                window,
                remaining,
                reset: seconds_ceil(per_cell * used),
                allowed: true,
            }
        }
        Err(not_until) => Decision {
            policy,
            quota: rate.count,
            window,
            remaining: 0,
            reset: seconds_ceil(not_until.wait_time_from(now)).max(1),
            allowed: false,
        },
    }
}

/// Failed password checks in a sliding window, per client address and per email. Each check
/// reserves its place in the window before the password is compared, so a burst of parallel
/// guesses gets no more comparisons than the limit allows; a check that succeeds gives its
/// place back, so a user who signs in often is never locked out by their own successes.
pub struct SignInThrottle {
    rate: Rate,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// A place in the window taken by [`SignInThrottle::reserve`]. Dropped, it stays counted as a
/// failure; [`Reservation::give_back`] returns it.
#[must_use = "a reservation counts as a failure unless it is given back on success"]
pub struct Reservation<'a> {
    throttle: &'a SignInThrottle,
    keys: Vec<String>,
    at: Instant,
    /// What the sign-in policy has left after this attempt, for the response headers.
    pub decision: Decision,
}

impl Reservation<'_> {
    /// The password was right, or never compared: the attempt is not counted after all.
    pub fn give_back(self) {
        if self.throttle.rate.count == 0 {
            return;
        }
        let mut attempts = self.throttle.lock();
        for key in &self.keys {
            if let Some(times) = attempts.get_mut(key)
                && let Some(index) = times.iter().rposition(|t| *t == self.at)
            {
                times.remove(index);
            }
        }
    }
}

impl SignInThrottle {
    /// A throttle allowing `rate.count` failures per `rate.period` (`0` = off).
    pub fn new(rate: Rate) -> Self {
        SignInThrottle {
            rate,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keys(address: Option<IpAddr>, email: &str) -> Vec<String> {
        let mut keys = vec![format!("email:{email}")];
        if let Some(address) = address {
            keys.push(format!("address:{address}"));
        }
        keys
    }

    /// Takes a place for one password check by `address` for `email` (already normalised), or
    /// refuses with when to retry. Check and reservation happen under one lock, so parallel
    /// attempts cannot all pass the check before any of them is counted.
    pub fn reserve(
        &self,
        address: Option<IpAddr>,
        email: &str,
    ) -> Result<Reservation<'_>, Decision> {
        let keys = Self::keys(address, email);
        let now = Instant::now();
        if self.rate.count == 0 {
            return Ok(Reservation {
                throttle: self,
                keys,
                at: now,
                decision: self.decision(0, Duration::ZERO),
            });
        }
        let mut attempts = self.lock();
        if attempts.len() > 10_000 {
            let period = self.rate.period;
            attempts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < period)
            });
        }
        let mut worst = self.decision(0, Duration::ZERO);
        for key in &keys {
            let Some(times) = attempts.get_mut(key) else {
                continue;
            };
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.rate.period)
            {
                times.pop_front();
            }
            let used = u32::try_from(times.len()).unwrap_or(u32::MAX);
            let reset = times
                .front()
                .map(|t| self.rate.period.saturating_sub(now.duration_since(*t)))
                .unwrap_or_default();
            let decision = self.decision(used, reset);
            if decision.remaining <= worst.remaining {
                worst = decision;
            }
        }
        if !worst.allowed {
            return Err(worst);
        }
        for key in &keys {
            attempts.entry(key.clone()).or_default().push_back(now);
        }
        let decision = Decision {
            remaining: worst.remaining.saturating_sub(1),
            ..worst
        };
        Ok(Reservation {
            throttle: self,
            keys,
            at: now,
            decision,
        })
    }

    fn decision(&self, used: u32, reset: Duration) -> Decision {
        let remaining = self.rate.count.saturating_sub(used);
        Decision {
            policy: "sign-in",
            quota: self.rate.count,
            window: self.rate.period.as_secs().max(1),
            remaining,
            reset: seconds_ceil(reset),
            allowed: self.rate.count == 0 || remaining > 0,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rate(count: u32, secs: u64) -> Rate {
        Rate {
            count,
            period: Duration::from_secs(secs),
        }
    }

    #[test]
    fn an_address_gets_its_quota_then_is_refused_with_a_retry_time() {
        let limits = RateLimits::new(rate(3, 60), rate(0, 60), rate(10, 900));
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        let remaining: Vec<u32> = (0..3)
            .map(|_| limits.check_address(address).unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limits.check_address(address).unwrap();
        assert!(!refused.allowed);
        assert!((1..=20).contains(&refused.reset));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.check_address(other).unwrap().allowed);
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off() {
        let limits = RateLimits::new(rate(0, 60), rate(0, 60), rate(0, 60));
        assert!(limits.check_address("192.0.2.1".parse().unwrap()).is_none());
        assert!(limits.check_user("u").is_none());
        assert!(limits.check_key("k", rate(0, 60)).is_none());
        for _ in 0..20 {
            drop(limits.sign_in.reserve(None, "a@b.c").unwrap());
        }
        assert!(limits.sign_in.reserve(None, "a@b.c").is_ok());
    }

    #[test]
    fn each_user_gets_their_own_quota() {
        let limits = RateLimits::new(rate(0, 60), rate(2, 60), rate(0, 60));
        assert_eq!(limits.check_user("a").unwrap().policy, "per-user");
        assert!(limits.check_user("a").unwrap().allowed);
        assert!(!limits.check_user("a").unwrap().allowed);
        assert!(limits.check_user("b").unwrap().allowed);
    }

    #[test]
    fn sign_in_failures_are_counted_per_email_and_per_address() {
        let throttle = SignInThrottle::new(rate(2, 900));
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        drop(throttle.reserve(Some(here), "a@b.c").unwrap());
        drop(throttle.reserve(Some(here), "x@y.z").unwrap());
        // The address has used its two failures, whatever the email.
        let refused = throttle.reserve(Some(here), "new@b.c").err().unwrap();
        assert!(refused.reset > 800 && refused.reset <= 900);
        // The email a@b.c has one left from elsewhere.
        assert!(throttle.reserve(None, "a@b.c").is_ok());
    }

    #[test]
    fn attempts_in_flight_count_and_successes_give_their_place_back() {
        let throttle = SignInThrottle::new(rate(2, 900));
        let first = throttle.reserve(None, "a@b.c").unwrap();
        let second = throttle.reserve(None, "a@b.c").unwrap();
        assert_eq!(second.decision.remaining, 0);
        // Both are still being checked: a third may not start.
        assert!(throttle.reserve(None, "a@b.c").is_err());
        first.give_back();
        drop(second);
        let third = throttle.reserve(None, "a@b.c").unwrap();
        assert_eq!(third.decision.remaining, 0);
        third.give_back();
        for _ in 0..5 {
            throttle.reserve(None, "a@b.c").unwrap().give_back();
        }
    }
}
