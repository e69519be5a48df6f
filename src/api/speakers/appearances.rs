//! Where a speaker appears: what they said, and the articles quoting them.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{self, ListPage, decode_cursor, paginate};
use crate::api::query::{Sort, parse_fields};
use crate::auth::Caller;
use crate::db::content_support::{Keyset, latest_change_at};
use crate::db::speakers::{self as db, QuotingArticleRow};
use crate::error::ApiError;
use crate::newsroom::visibility::Viewer;
use crate::state::AppState;

use super::policy;

/// The documented body of a list of [`SpeakerArticle`] (see [`pagination::sparse_page_schema`]).
pub struct SpeakerArticlePage;

impl utoipa::PartialSchema for SpeakerArticlePage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        pagination::sparse_page_schema("SpeakerArticle")
    }
}

impl ToSchema for SpeakerArticlePage {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        pagination::page_item_schemas::<SpeakerArticle>(schemas);
    }
}

/// An article quoting a speaker, as listed on the speaker's page.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a3c4-6000-7000-8000-000000000001",
    "slug": "budget-2027-passes",
    "headline": "Budget for 2027 passes after all-night session",
    "standfirst": "The finance minister called it a budget for growth.",
    "section": "politics",
    "status": "published",
    "published_at": "2026-11-30T06:00:00.000000Z",
    "created_at": "2026-11-29T18:00:00.000000Z",
    "updated_at": "2026-11-30T06:00:00.000000Z"
}))]
pub struct SpeakerArticle {
    /// Article id.
    pub id: String,
    /// Article slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
    /// Standfirst.
    pub standfirst: Option<String>,
    /// Section.
    pub section: Option<String>,
    /// `draft`, `scheduled`, `published` or `archived` (the public only sees visible ones).
    pub status: String,
    /// Publication time.
    pub published_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Time of the last change.
    pub updated_at: String,
}

impl From<QuotingArticleRow> for SpeakerArticle {
    fn from(row: QuotingArticleRow) -> Self {
        SpeakerArticle {
            id: row.id,
            slug: row.slug,
            headline: row.headline,
            standfirst: row.standfirst,
            section: row.section,
            status: row.status,
            published_at: row.published_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const SPEAKER_ARTICLE_FIELDS: &[&str] = &[
    "id",
    "slug",
    "headline",
    "standfirst",
    "section",
    "status",
    "published_at",
    "created_at",
    "updated_at",
];

/// Query parameters of the articles quoting a speaker.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpeakerArticlesQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `published_at`, `created_at` or `updated_at`; prefix `-` for descending (default
    /// `-published_at`; unpublished articles sort as the earliest).
    #[param(pattern = "^-?(published_at|created_at|updated_at)$")]
    pub sort: Option<String>,
    /// Comma-separated fields to return (`id` is always included).
    pub fields: Option<String>,
    /// `true` adds `total`.
    pub count: Option<bool>,
}

const ARTICLE_SORTS: &[(&str, &str)] = &[
    ("published_at", "COALESCE(articles.published_at, '')"),
    ("created_at", "articles.created_at"),
    ("updated_at", "articles.updated_at"),
];

/// Lists the articles quoting a speaker: publicly visible ones for the public, all of them for
/// signed-in users.
#[utoipa::path(
    tag = "speakers",
    params(("id" = String, Path, description = "Speaker id or slug"), SpeakerArticlesQuery),
    responses(
        (status = 200, description = "A page of articles; `Link` points at the next page", body = SpeakerArticlePage),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Unknown parameter, bad `limit`, `sort`, `fields` or `cursor`"),
        (status = 401, description = "Credentials were presented but are not valid"),
        (status = 404, description = "No such speaker")
    )
)]
#[get("/v1/speakers/{id}/articles")]
pub async fn list_speaker_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<SpeakerArticlesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let sort = Sort::parse(query.sort.as_deref(), ARTICLE_SORTS, "-published_at")?;
    let fields = parse_fields(query.fields.as_deref(), SPEAKER_ARTICLE_FIELDS)?;
    let fingerprint = sort.text();
    let after = decode_cursor(query.cursor.as_deref(), &fingerprint)?;
    let keyset = Keyset {
        column: sort.column,
        descending: sort.descending,
        after,
        fetch: limit + 1,
    };
    let want_total = query.count == Some(true);
    let viewer = Viewer::of(&caller);
    let now = crate::time::now();
    let key = path.into_inner();
    let page = state
        .db
        .read(move |conn| {
            let speaker = crate::newsroom::speakers::find(conn, &key)?;
            let rows = db::quoting_articles(conn, &speaker.id, &viewer, &now, &keyset)?;
            let (rows, next_cursor) = paginate(rows, limit, &fingerprint, |row| {
                let key = match sort.field {
                    "created_at" => row.created_at.clone(),
                    "updated_at" => row.updated_at.clone(),
                    _ => row.published_at.clone().unwrap_or_default(),
                };
                (key, row.id.clone())
            });
            let total = if want_total {
                Some(db::quoting_article_count(conn, &speaker.id, &viewer, &now)?)
            } else {
                None
            };
            Ok(ListPage {
                items: rows
                    .into_iter()
                    .map(SpeakerArticle::from)
                    .collect::<Vec<_>>(),
                next_cursor,
                total,
                last_modified: latest_change_at(conn)?,
            })
        })
        .await?;
    pagination::list_response(
        &req,
        &state.public_url,
        policy(&state, &caller),
        page,
        fields.as_deref(),
    )
}
