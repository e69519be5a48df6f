//! The response cache: anonymous reads answered from memory until something changes.
//!
//! Public reads are the same bytes for every anonymous caller, so the first answer to a URL is
//! kept (status 200, headers, body, ETag) and later requests for it, revalidations included,
//! are answered without touching the database. A kept answer is served only while
//!
//! - no write has finished through this server since it was read (the database gateway counts
//!   them, [`crate::db::Db::writes_finished`]), so an edit, a publication or a deletion is seen
//!   by the very next request;
//! - the next time-based change of visibility has not come (a scheduled article's publication
//!   time, an embargo's end, a photo's usage expiry: the earliest is looked up once per write);
//! - and it is younger than `NEWSDESK_RESPONSE_CACHE_TTL`, the bound on how late a write made
//!   by another process (the CLI importer on a live database) can show.
//!
//! When many requests arrive for a URL that is not kept (at start, or just after a write), one
//! of them runs the handler and the others wait for its answer (at most two seconds) instead of
//! all reading the same thing at once.
//!
//! Only anonymous GETs under `/v1/` whose answer is a `public` 200 with a JSON or feed body (or
//! an image, for media files, keyed by whether WebP is accepted) are kept; signed-in users and
//! partner keys (whose answers depend on who they are) always reach the handlers, as do byte
//! range requests. Memory is bounded by `NEWSDESK_RESPONSE_CACHE_BYTES`; answers are marked
//! `X-Cache: HIT` or `MISS`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse};
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::auth::Caller;
use crate::db::Db;
use crate::http::cache::{Conditions, NOT_MODIFIED_HEADERS};
use crate::http::coding::{Coding, WouldCompress, worth_compressing};
use crate::state::AppState;

/// `X-Cache`: whether the answer came from the response cache.
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// One kept answer.
struct Entry {
    /// [`Db::writes_finished`] before the handler read the database.
    writes: u64,
    /// When it stops being served (TTL or the next change of visibility, whichever is first).
    expires: Instant,
    /// The handler's headers (content type, ETag, Last-Modified, Cache-Control, Link, ...).
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: Option<String>,
    last_modified: Option<DateTime<Utc>>,
    body: Bytes,
    /// A body worth compressing ([`worth_compressing`]).
    compressible: bool,
    /// The body compressed with brotli and with gzip, made the first time a client asks.
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

impl Entry {
    /// The body in `coding`, compressed on first use and kept.
    fn encoded(&self, coding: Coding) -> Option<Bytes> {
        let cell = match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
        };
        cell.get_or_init(|| coding.compress(&self.body)).clone()
    }

    /// The answer to a request with these conditions (304 when the client's copy is current),
    /// compressed in `coding` when the client accepts it and the body is worth it.
    fn respond(
        &self,
        conditions: &Conditions,
        outcome: &'static str,
        coding: Option<Coding>,
    ) -> HttpResponse {
        let fresh = conditions.fresh(self.etag.as_deref(), self.last_modified);
        let mut response = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        for (name, value) in &self.headers {
            if !fresh || keeps_on_304(name) {
                response.append_header((name.clone(), value.clone()));
            }
        }
        response.insert_header((X_CACHE, HeaderValue::from_static(outcome)));
        if self.compressible {
            response.append_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
        }
        if fresh {
            if self.compressible {
                response.extensions_mut().insert(WouldCompress);
            }
            return response.finish();
        }
        let compressed = coding
            .filter(|_| self.compressible)
            .and_then(|coding| Some((coding, self.encoded(coding)?)));
        match compressed {
            Some((coding, body)) => {
                // With Content-Encoding set, the coding middleware leaves the body alone and
                // only gives it the coded ETag.
                response.insert_header((header::CONTENT_ENCODING, coding.header_value()));
                response.body(body)
            }
            None => response.body(self.body.clone()),
        }
    }

    fn weight(&self, key: &str) -> u64 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        // Room for the compressed copies too, made later: a weight may not change once kept.
        let bodies = if self.compressible {
            self.body.len() * 2
        } else {
            self.body.len()
        };
        // The bodies, the key, the headers and a little for the bookkeeping around them.
        (bodies + key.len() + headers + 128) as u64
    }
}

fn keeps_on_304(name: &HeaderName) -> bool {
    NOT_MODIFIED_HEADERS.contains(name)
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        entry.weight(key)
    }
}

/// When the next time-based change of visibility comes, as found after a given write.
#[derive(Clone, Copy)]
struct Horizon {
    writes: u64,
    /// `None`: nothing is waiting for its time.
    until: Option<Instant>,
}

/// The cache, one per server (shared by its workers).
pub struct ResponseCache {
    /// `None` when the cache is off.
    entries: Option<quick_cache::sync::Cache<String, Arc<Entry>, ByBytes>>,
    ttl: Duration,
    largest: u64,
    horizon: Mutex<Option<Horizon>>,
    /// The keys a handler is producing an answer for right now, and how to wake the requests
    /// waiting for that answer.
    in_flight: Mutex<HashMap<String, Arc<Notify>>>,
}

/// A request's part in filling one key.
enum Turn {
    /// No one else is reading this key: this request runs the handler.
    Lead(Leader),
    /// Another request is: wait for it.
    Follow(tokio::sync::futures::OwnedNotified),
}

/// The request filling a key; when it is done (or dropped, on an error), the key is free again
/// and everyone waiting for it wakes up.
struct Leader {
    cache: web::Data<ResponseCache>,
    key: String,
}

impl Drop for Leader {
    fn drop(&mut self) {
        let notify = self
            .cache
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.key);
        if let Some(notify) = notify {
            notify.notify_waiters();
        }
    }
}

/// How long a request waits for another one filling the same key before it reads for itself.
const FOLLOW_WAIT: Duration = Duration::from_secs(2);

impl ResponseCache {
    /// A cache of at most `bytes` keeping answers `ttl` at most; off when either is zero.
    pub fn new(bytes: u64, ttl: Duration) -> Self {
        // A guess at the number of entries, for the table's initial size: 8 KB answers.
        let estimated = usize::try_from(bytes / 8192).unwrap_or(usize::MAX).max(16);
        ResponseCache {
            entries: (bytes > 0 && !ttl.is_zero())
                .then(|| quick_cache::sync::Cache::with_weighter(estimated, bytes, ByBytes)),
            ttl,
            // One answer may take an eighth of the cache, so a few big feeds cannot push out
            // everything else.
            largest: (bytes / 8).max(1),
            horizon: Mutex::new(None),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this request leads the reading of `key` or follows one already under way. The
    /// follower's wake-up is registered while the map is locked, so it cannot miss the leader's.
    fn turn(cache: &web::Data<ResponseCache>, key: &str) -> Turn {
        let mut in_flight = cache
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(notify) = in_flight.get(key) {
            return Turn::Follow(notify.clone().notified_owned());
        }
        in_flight.insert(key.to_owned(), Arc::new(Notify::new()));
        Turn::Lead(Leader {
            cache: cache.clone(),
            key: key.to_owned(),
        })
    }

    fn fresh(&self, key: &str, writes: u64) -> Option<Arc<Entry>> {
        let entry = self.entries.as_ref()?.get(key)?;
        if entry.writes == writes && Instant::now() < entry.expires {
            Some(entry)
        } else {
            None
        }
    }

    /// The earliest coming change of visibility, looked up again after each write and once it
    /// has come. The lookup is the cache's own bookkeeping, shared by every request until the
    /// next write, so it runs as background work and is not counted against the request that
    /// happens to trigger it.
    async fn horizon(&self, db: &Db, writes: u64) -> Result<Option<Instant>, Error> {
        let known = *self
            .horizon
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(h) = known
            && h.writes == writes
            && h.until.is_none_or(|at| Instant::now() < at)
        {
            return Ok(h.until);
        }
        let now = crate::time::now();
        let next: Option<String> = db
            .read_in_background(move |conn| {
                Ok(crate::newsroom::visibility::next_change(conn, &now)?)
            })
            .await?;
        let until = next.as_deref().and_then(crate::time::parse).map(|at| {
            let ahead = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            Instant::now() + ahead
        });
        *self
            .horizon
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Horizon { writes, until });
        Ok(until)
    }
}

/// Whether a request may be answered from (and fill) the cache: anonymous GETs under `/v1/`,
/// byte ranges aside.
fn eligible(req: &ServiceRequest) -> bool {
    req.method() == Method::GET
        && req.path().starts_with("/v1/")
        && !req.headers().contains_key(header::RANGE)
        && !req.headers().contains_key(header::IF_RANGE)
        && matches!(req.extensions().get::<Caller>(), Some(Caller::Anonymous))
}

/// Media files (`/v1/media/{id}/file`) choose WebP or the original format from `Accept`.
fn is_media_file(path: &str) -> bool {
    path.starts_with("/v1/media/") && path.ends_with("/file")
}

/// The cache key: the path and query, and for media files the one thing of `Accept` that
/// chooses the representation, so their `Vary: Accept` answers can be kept too.
fn key_of(req: &ServiceRequest) -> String {
    let mut key = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    if is_media_file(req.path()) && crate::http::negotiation::accepts_webp(req.headers()) {
        key.push_str(" webp");
    }
    key
}

/// Whether a handler's answer is the same for every anonymous caller and worth keeping: a
/// public 200 with a JSON, feed or (for media files) image body, varying on nothing the key
/// leaves out.
fn storable<B: MessageBody>(res: &ServiceResponse<B>, largest: u64) -> bool {
    let headers = res.headers();
    let media_file = is_media_file(res.request().path());
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let keyed = |h: &str| {
        h.eq_ignore_ascii_case("accept-encoding")
            || h.eq_ignore_ascii_case("origin")
            || (media_file && h.eq_ignore_ascii_case("accept"))
    };
    res.status() == StatusCode::OK
        && text(header::CACHE_CONTROL).is_some_and(|v| v.starts_with("public"))
        && text(header::CONTENT_TYPE).is_some_and(|v| {
            v.starts_with("application/") || (media_file && v.starts_with("image/"))
        })
        && !headers.contains_key(header::SET_COOKIE)
        && headers.get_all(header::VARY).all(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').map(str::trim).all(keyed))
        })
        && matches!(res.response().body().size(), BodySize::Sized(n) if n <= largest)
}

/// The middleware: answers eligible requests from the cache, or lets the handler answer and
/// keeps what it said.
pub async fn middleware<B>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error>
where
    B: MessageBody + 'static,
{
    let (Some(cache), Some(state)) = (
        req.app_data::<web::Data<ResponseCache>>().cloned(),
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if cache.entries.is_none() || !eligible(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let key = key_of(&req);
    // The cache answers conditional requests itself, from the kept ETag and Last-Modified, so
    // the handler always produces the full answer worth keeping.
    let conditions = Conditions::take(req.headers_mut());
    let coding = Coding::negotiate(&req);
    if let Some(entry) = cache.fresh(&key, state.db.writes_finished()) {
        let response = entry.respond(&conditions, "HIT", coding);
        return Ok(req.into_response(response).map_into_right_body());
    }
    // Many requests for a URL that is not kept (at start, or after a write) would each run the
    // same handler at once; one does, and the others wait for its answer.
    let _leader = match ResponseCache::turn(&cache, &key) {
        Turn::Lead(leader) => Some(leader),
        Turn::Follow(answered) => {
            // Timed out or not kept (an error, a write in between): read for yourself.
            let _ = tokio::time::timeout(FOLLOW_WAIT, answered).await;
            if let Some(entry) = cache.fresh(&key, state.db.writes_finished()) {
                let response = entry.respond(&conditions, "HIT", coding);
                return Ok(req.into_response(response).map_into_right_body());
            }
            None
        }
    };

    let writes = state.db.writes_finished();
    let res = next.call(req).await?;
    if !storable(&res, cache.largest) {
        return Ok(conditions.apply(res));
    }
    let horizon = cache.horizon(&state.db, writes).await?;
    let (http_req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let headers = head
        .headers()
        .iter()
        .filter(|(name, _)| *name != header::CONTENT_LENGTH && *name != header::DATE)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let text = |name| {
        head.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let ttl_end = Instant::now() + cache.ttl;
    let entry = Arc::new(Entry {
        writes,
        expires: horizon.map_or(ttl_end, |at| at.min(ttl_end)),
        etag: text(header::ETAG).map(str::to_owned),
        last_modified: text(header::LAST_MODIFIED)
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|at| at.with_timezone(&Utc)),
        compressible: text(header::CONTENT_TYPE).is_some_and(|v| worth_compressing(v, body.len())),
        headers,
        body,
        brotli: OnceLock::new(),
        gzip: OnceLock::new(),
    });
    let response = entry.respond(&conditions, "MISS", coding);
    if let Some(entries) = &cache.entries {
        entries.insert(key, entry);
    }
    Ok(ServiceResponse::new(http_req, response).map_into_right_body())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn one_request_leads_a_key_and_the_others_wake_when_it_is_done() {
        let cache = web::Data::new(ResponseCache::new(1 << 20, Duration::from_secs(10)));
        let Turn::Lead(leader) = ResponseCache::turn(&cache, "/v1/articles") else {
            panic!("the first request for a key leads");
        };
        let Turn::Follow(first) = ResponseCache::turn(&cache, "/v1/articles") else {
            panic!("a second request for the key follows");
        };
        let Turn::Follow(second) = ResponseCache::turn(&cache, "/v1/articles") else {
            panic!("so does a third");
        };
        // Another key is independent.
        assert!(matches!(
            ResponseCache::turn(&cache, "/v1/tags"),
            Turn::Lead(_)
        ));

        let mut first = Box::pin(first);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut first)
                .await
                .is_err(),
            "followers wait while the leader works"
        );
        drop(leader);
        tokio::time::timeout(Duration::from_secs(1), first)
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), second)
            .await
            .unwrap();
        // The key is free again: the next request leads.
        assert!(matches!(
            ResponseCache::turn(&cache, "/v1/articles"),
            Turn::Lead(_)
        ));
    }
}
