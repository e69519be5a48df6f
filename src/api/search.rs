//! Full-text search across articles, with matching speakers and quotes alongside.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, Cursor};
use crate::auth::Caller;
use crate::db::articles::fts_expression;
use crate::db::search::{self as store, AfterHit};
use crate::error::ApiError;
use crate::http::cache::{CachePolicy, conditional};
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;
use crate::views::articles::{ArticleSummary, last_modified, summary_from_row};
use crate::views::quotes::Quote;
use crate::views::speakers::Speaker;

/// How many speakers and quotes the first page of results carries at most.
const RELATED_LIMIT: i64 = 5;

/// Query parameters of a search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words to look for; every word must match (in the headline, standfirst or body).
    #[param(example = "harbour tolls")]
    pub q: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Matching articles, best match first (headline matches weigh most, then the
    /// standfirst, then the body).
    pub data: Vec<ArticleSummary>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Speakers whose name contains every word, by name (at most five; first page only).
    pub speakers: Vec<Speaker>,
    /// Quotes whose text contains every word, newest first (at most five; first page only).
    pub quotes: Vec<Quote>,
}

/// The words of a search, as the speaker and quote matches use them.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_owned)
        .collect()
}

fn decode_after(text: &str, fingerprint: &str) -> Result<AfterHit, ApiError> {
    let cursor = Cursor::decode(text, fingerprint)?;
    let rank = cursor
        .key
        .as_f64()
        .ok_or_else(|| ApiError::bad_field("cursor", "is not a cursor from this list"))?;
    Ok(AfterHit {
        rank,
        id: cursor.id,
    })
}

/// Search articles.
///
/// Full-text search over headline, standfirst and body; every word must match. Readers without
/// credentials find only published, visible articles; signed-in users also find what article
/// lists show them (contributors their own drafts, editors everything). Results are ranked by
/// relevance (bm25) and paged with `cursor`; a cursor belongs to its `q`. The first page also
/// lists up to five speakers whose name, and up to five visible quotes whose text, contain
/// every word. Rankings depend on the whole index, so a page fetched after articles change
/// may overlap the previous one.
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of results", body = SearchResults,
            headers(("ETag" = String, description = "Strong tag of this page"),
                    ("Last-Modified" = String, description = "Latest change among the page's articles"),
                    ("Link" = String, description = "`<...>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "public for anonymous reads, private otherwise"))),
        (status = 304, description = "Not modified since the tag or time the client sent"),
        (status = 400, description = "Missing or empty `q`, unknown parameter, limit out of range or foreign cursor"),
        (status = 401, description = "Credentials presented but invalid")
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
#[get("/v1/search")]
pub async fn search_content(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Err(ApiError::bad_field(
            "q",
            "is required and must not be empty",
        ));
    }
    let expression = fts_expression(q)
        .ok_or_else(|| ApiError::bad_field("q", "must contain at least one word"))?;
    let words = words(q);
    let limit = pagination::limit(query.limit)?;
    let fingerprint = format!("rank|{expression}");
    let after = match query.cursor.as_deref() {
        None => None,
        Some(text) => Some(decode_after(text, &fingerprint)?),
    };
    let first_page = after.is_none();
    let viewer = Viewer::of(&caller);
    let policy = CachePolicy::for_caller(&caller, state.settings.cache_max_age);
    let now = crate::time::now();
    let (mut hits, speakers, quotes) = {
        let now = now.clone();
        state
            .db
            .read(move |conn| {
                let hits =
                    store::articles(conn, &expression, &viewer, &now, after.as_ref(), limit + 1)?;
                let (speakers, quotes) = if first_page {
                    (
                        store::speakers(conn, &words, RELATED_LIMIT)?,
                        store::quotes(conn, &words, &viewer, &now, RELATED_LIMIT)?,
                    )
                } else {
                    (Vec::new(), Vec::new())
                };
                Ok((hits, speakers, quotes))
            })
            .await?
    };
    let has_more = hits.len() as i64 > limit;
    hits.truncate(limit as usize);
    let next_cursor = match (has_more, hits.last()) {
        (true, Some((row, rank))) => Some(
            Cursor {
                sort: fingerprint,
                key: serde_json::json!(rank),
                id: row.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    let latest = hits
        .iter()
        .filter_map(|(row, _)| last_modified(row, &now))
        .chain(
            speakers
                .iter()
                .filter_map(|s| crate::time::parse(&s.updated_at)),
        )
        .chain(
            quotes
                .iter()
                .filter_map(|q| crate::time::parse(&q.updated_at)),
        )
        .max();
    let public_url = state.public_url.to_string();
    let results = SearchResults {
        data: hits
            .iter()
            .map(|(row, _)| summary_from_row(row, &now, &public_url))
            .collect(),
        next_cursor: next_cursor.clone(),
        speakers: speakers.into_iter().map(Speaker::from).collect(),
        quotes: quotes.into_iter().map(Quote::from).collect(),
    };
    let body = serde_json::to_vec(&results).map_err(ApiError::internal)?;
    let mut response = conditional(&req, "application/json", body, latest, policy);
    if let Some(cursor) = next_cursor {
        let link = pagination::next_link(&public_url, req.path(), req.query_string(), &cursor);
        if let Ok(value) = header::HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_drop_punctuation() {
        assert_eq!(words(" harbour, tolls! "), vec!["harbour", "tolls"]);
    }
}
