//! The visibility rule, table-driven: every caller class against every content state on every
//! read path. One newsroom is built through the API, then each caller reads it every way there
//! is, and what they find is compared with what the rule says they may see.

use std::collections::BTreeSet;

use newsdesk::auth::{Role, Scope};
use serde_json::{Value, json};

use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::media::{form, upload};
use crate::speakers::images;

/// A time long past, and one far ahead.
const PAST: &str = "2020-01-01T00:00:00Z";
const FUTURE: &str = "2999-01-01T00:00:00Z";

/// Who reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Partner,
    EmbargoPartner,
    Owner,
    OtherContributor,
    Editor,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::Partner,
    Who::EmbargoPartner,
    Who::Owner,
    Who::OtherContributor,
    Who::Editor,
];

/// One thing in the newsroom, with who may see it.
struct Item {
    state: &'static str,
    /// The word in an article's headline.
    marker: String,
    resource: &'static str,
    id: String,
    seen_by: &'static [Who],
}

struct Newsroom {
    app: TestApp,
    owner: String,
    other: String,
    editor: String,
    partner: String,
    embargo_partner: String,
    speaker: String,
    items: Vec<Item>,
}

impl Newsroom {
    fn headers(&self, who: Who) -> Vec<(&'static str, String)> {
        match who {
            Who::Anonymous => Vec::new(),
            Who::Partner => vec![("x-api-key", self.partner.clone())],
            Who::EmbargoPartner => vec![("x-api-key", self.embargo_partner.clone())],
            Who::Owner => vec![("authorization", self.owner.clone())],
            Who::OtherContributor => vec![("authorization", self.other.clone())],
            Who::Editor => vec![("authorization", self.editor.clone())],
        }
    }

    async fn get(&self, who: Who, path: &str) -> crate::helpers::TestResponse {
        let headers = self.headers(who);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.app.get_with(path, &headers).await
    }

    async fn send(&self, auth: &str, method: &str, path: &str, body: Value) -> Value {
        let response = self
            .app
            .json(method, path, &body, &[("authorization", auth)])
            .await;
        assert!(
            (200..300).contains(&response.status),
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
        if response.body.is_empty() {
            Value::Null
        } else {
            response.value()
        }
    }

    async fn photo(&self, auth: &str, caption: &str, rights: &[(&str, &str)]) -> String {
        let mut texts = vec![("caption", caption)];
        texts.extend_from_slice(rights);
        let response = upload(
            &self.app,
            auth,
            form(&texts, Some(("p.png", &images::png(8, 6)))),
        )
        .await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.value()["id"].as_str().unwrap().to_owned()
    }

    async fn quote(&self, text: &str) -> String {
        let body = json!({"text": text, "speaker_id": self.speaker});
        self.send(&self.owner, "POST", "/v1/quotes", body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A draft by the owner, its body showing `quote` and `photos`, with `extra` fields.
    async fn article(
        &self,
        word: &str,
        quote: Option<&str>,
        photos: &[&str],
        extra: Value,
    ) -> String {
        let mut body =
            vec![json!({"type": "paragraph", "text": format!("visibilitycheck {word}")})];
        if let Some(q) = quote {
            body.push(json!({"type": "quote", "quote_id": q}));
        }
        for p in photos {
            body.push(json!({"type": "media", "media_id": p}));
        }
        let mut request =
            json!({"headline": format!("Story {word} visibilitycheck"), "body": body});
        if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
            request.extend(extra.clone());
        }
        self.send(&self.owner, "POST", "/v1/articles", request)
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn publish(&self, id: &str, body: Value) {
        self.send(
            &self.editor,
            "POST",
            &format!("/v1/articles/{id}/publish"),
            body,
        )
        .await;
    }
}

async fn newsroom() -> Newsroom {
    let app = TestApp::spawn().await;
    let owner_email = "owner@example.test";
    app.create_user(owner_email, Role::Contributor, TEST_PASSWORD)
        .await;
    let owner = format!("Bearer {}", app.token_for(owner_email, TEST_PASSWORD).await);
    let other = format!("Bearer {}", app.token(Role::Contributor).await);
    let editor = format!("Bearer {}", app.token(Role::Editor).await);
    let partner = app.api_key(&[Scope::ContentRead, Scope::FeedsRead]).await;
    let embargo_partner = app
        .api_key(&[Scope::ContentRead, Scope::FeedsRead, Scope::EmbargoedRead])
        .await;
    let mut room = Newsroom {
        app,
        owner,
        other,
        editor,
        partner,
        embargo_partner,
        speaker: String::new(),
        items: Vec::new(),
    };
    let speaker = room
        .send(
            &room.owner,
            "POST",
            "/v1/speakers",
            json!({"name": "Vera Sight"}),
        )
        .await;
    room.speaker = speaker["id"].as_str().unwrap().to_owned();

    use Who::*;
    const STAFF_AND_OWNER: &[Who] = &[Owner, Editor];
    const PUBLIC_NOT_PARTNERS: &[Who] = &[Anonymous, Owner, OtherContributor, Editor];

    // A draft, with a quote and a photo that only it uses.
    let draft_photo = room.photo(&room.owner, "draftphoto", &[]).await;
    let draft_quote = room.quote("draftquote words").await;
    let draft = room
        .article("draftstory", Some(&draft_quote), &[&draft_photo], json!({}))
        .await;

    // Scheduled for a time far ahead.
    let scheduled_quote = room.quote("scheduledquote words").await;
    let scheduled = room
        .article("scheduledstory", Some(&scheduled_quote), &[], json!({}))
        .await;
    room.publish(&scheduled, json!({"at": FUTURE})).await;

    // Published, with a photo partners may not republish and one whose usage date passed.
    let restricted = room
        .photo(
            &room.editor,
            "restrictedphoto",
            &[("syndication_allowed", "false")],
        )
        .await;
    let expired = room
        .photo(
            &room.editor,
            "expiredphoto",
            &[("syndication_allowed", "true"), ("usage_expires", PAST)],
        )
        .await;
    let published_quote = room.quote("publishedquote words").await;
    let published = room
        .article(
            "publishedstory",
            Some(&published_quote),
            &[&restricted, &expired],
            json!({}),
        )
        .await;
    room.publish(&published, json!({})).await;

    // Published under an embargo that has not ended.
    let embargoed_quote = room.quote("embargoedquote words").await;
    let embargoed = room
        .article(
            "embargoedstory",
            Some(&embargoed_quote),
            &[],
            json!({"embargo_until": FUTURE}),
        )
        .await;
    room.publish(&embargoed, json!({})).await;

    // Published, then archived.
    let archived = room.article("archivedstory", None, &[], json!({})).await;
    room.publish(&archived, json!({})).await;
    room.send(
        &room.editor,
        "POST",
        &format!("/v1/articles/{archived}/archive"),
        json!({}),
    )
    .await;

    // Published, then deleted.
    let deleted = room.article("deletedstory", None, &[], json!({})).await;
    room.publish(&deleted, json!({})).await;
    let current = room.get(Editor, &format!("/v1/articles/{deleted}")).await;
    let etag = current.header("etag").unwrap().to_owned();
    let gone = room
        .app
        .raw(
            "DELETE",
            &format!("/v1/articles/{deleted}"),
            &[("authorization", &room.editor), ("if-match", &etag)],
            None,
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text());

    let items = vec![
        ("draft", "article", draft, STAFF_AND_OWNER),
        ("scheduled", "article", scheduled, STAFF_AND_OWNER),
        ("published", "article", published, &EVERYONE[..]),
        (
            "embargoed",
            "article",
            embargoed,
            &[EmbargoPartner, Owner, Editor][..],
        ),
        ("archived", "article", archived, STAFF_AND_OWNER),
        ("deleted", "article", deleted, &[][..]),
        (
            "quote only in a draft body",
            "quote",
            draft_quote,
            STAFF_AND_OWNER,
        ),
        (
            "quote of a scheduled story",
            "quote",
            scheduled_quote,
            STAFF_AND_OWNER,
        ),
        (
            "quote of a published story",
            "quote",
            published_quote,
            &EVERYONE[..],
        ),
        (
            "quote of an embargoed story",
            "quote",
            embargoed_quote,
            &[EmbargoPartner, Owner, Editor][..],
        ),
        (
            "photo only a draft uses",
            "media",
            draft_photo,
            STAFF_AND_OWNER,
        ),
        (
            "photo not cleared for syndication",
            "media",
            restricted,
            PUBLIC_NOT_PARTNERS,
        ),
        (
            "photo past its usage date",
            "media",
            expired,
            PUBLIC_NOT_PARTNERS,
        ),
    ];
    room.items = items
        .into_iter()
        .map(|(state, resource, id, seen_by)| Item {
            marker: format!("{}story", state.split(' ').next().unwrap_or(state)),
            state,
            resource,
            id,
            seen_by,
        })
        .collect();
    room
}

/// Ids found anywhere in a response body.
fn found_in(room: &Newsroom, text: &str, resource: &str) -> BTreeSet<String> {
    room.items
        .iter()
        .filter(|i| i.resource == resource && text.contains(&i.id))
        .map(|i| i.id.clone())
        .collect()
}

/// The ids of `resource` that `who` may see, by the table.
fn expected(room: &Newsroom, who: Who, resource: &str) -> BTreeSet<String> {
    room.items
        .iter()
        .filter(|i| i.resource == resource && i.seen_by.contains(&who))
        .map(|i| i.id.clone())
        .collect()
}

fn names(room: &Newsroom, ids: &BTreeSet<String>) -> Vec<&'static str> {
    room.items
        .iter()
        .filter(|i| ids.contains(&i.id))
        .map(|i| i.state)
        .collect()
}

/// Feeds carry published work for whoever fetches them: signed-in users read them as the public.
fn as_feed_reader(who: Who) -> Who {
    match who {
        Who::Partner | Who::EmbargoPartner => who,
        _ => Who::Anonymous,
    }
}

fn compare(
    wrong: &mut Vec<String>,
    room: &Newsroom,
    who: Who,
    path: &str,
    resource: &str,
    found: BTreeSet<String>,
    want: BTreeSet<String>,
) {
    if found != want {
        wrong.push(format!(
            "{who:?} on {path} ({resource}): found {:?}, expected {:?}",
            names(room, &found),
            names(room, &want)
        ));
    }
}

#[actix_web::test]
async fn every_caller_sees_exactly_what_the_rule_allows_on_every_read_path() {
    let room = newsroom().await;
    let mut wrong = Vec::new();

    for who in EVERYONE {
        // Single reads of every item.
        for item in &room.items {
            let path = match item.resource {
                "article" => format!("/v1/articles/{}", item.id),
                "quote" => format!("/v1/quotes/{}", item.id),
                _ => format!("/v1/media/{}", item.id),
            };
            let response = room.get(who, &path).await;
            let seen = response.status == 200;
            assert!(
                seen || response.status == 404,
                "{who:?} {path}: {}",
                response.status
            );
            if seen != item.seen_by.contains(&who) {
                wrong.push(format!(
                    "{who:?} reading {}: status {}",
                    item.state, response.status
                ));
            }
            if item.resource == "media" {
                let file = room.get(who, &format!("{path}/file")).await;
                if (file.status == 200) != item.seen_by.contains(&who) {
                    wrong.push(format!(
                        "{who:?} fetching the file of {}: {}",
                        item.state, file.status
                    ));
                }
            }
        }

        // Lists and search.
        for (path, resource) in [
            ("/v1/articles?limit=100", "article"),
            ("/v1/quotes?limit=100", "quote"),
            ("/v1/media?limit=100", "media"),
        ] {
            let text = room.get(who, path).await.text();
            compare(
                &mut wrong,
                &room,
                who,
                path,
                resource,
                found_in(&room, &text, resource),
                expected(&room, who, resource),
            );
        }
        let search = room
            .get(who, "/v1/search?q=visibilitycheck&limit=50")
            .await
            .text();
        compare(
            &mut wrong,
            &room,
            who,
            "/v1/search",
            "article",
            found_in(&room, &search, "article"),
            expected(&room, who, "article"),
        );
        let quote_search = room.get(who, "/v1/search?q=words").await.text();
        compare(
            &mut wrong,
            &room,
            who,
            "/v1/search (quotes)",
            "quote",
            found_in(&room, &quote_search, "quote"),
            expected(&room, who, "quote"),
        );

        // Speaker pages.
        let speaker = &room.speaker;
        let articles = room
            .get(who, &format!("/v1/speakers/{speaker}/articles?limit=100"))
            .await
            .text();
        let quoted: BTreeSet<String> = expected(&room, who, "article")
            .into_iter()
            .filter(|id| {
                room.items
                    .iter()
                    .any(|i| &i.id == id && i.state != "archived" && i.state != "deleted")
            })
            .collect();
        compare(
            &mut wrong,
            &room,
            who,
            "/v1/speakers/{id}/articles",
            "article",
            found_in(&room, &articles, "article"),
            quoted,
        );
        let quotes = room
            .get(who, &format!("/v1/speakers/{speaker}/quotes?limit=100"))
            .await
            .text();
        compare(
            &mut wrong,
            &room,
            who,
            "/v1/speakers/{id}/quotes",
            "quote",
            found_in(&room, &quotes, "quote"),
            expected(&room, who, "quote"),
        );

        // Includes of every article the caller may read.
        let mut included: BTreeSet<(String, String)> = BTreeSet::new();
        for id in expected(&room, who, "article") {
            let article = room
                .get(
                    who,
                    &format!("/v1/articles/{id}?include=quotes,speakers,media"),
                )
                .await
                .value();
            for (kind, resource) in [("quotes", "quote"), ("media", "media")] {
                for related in article["included"][kind].as_array().unwrap() {
                    included.insert((
                        resource.to_owned(),
                        related["id"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
        // Every quote and photo here is used by some article, so the includes of what a caller
        // may read name exactly the quotes and photos they may read.
        for resource in ["quote", "media"] {
            let found = included
                .iter()
                .filter(|(r, _)| r == resource)
                .map(|(_, id)| id.clone())
                .collect();
            compare(
                &mut wrong,
                &room,
                who,
                "include=",
                resource,
                found,
                expected(&room, who, resource),
            );
        }

        // Feeds, as their reader.
        let reader = as_feed_reader(who);
        for path in [
            "/v1/feeds/rss",
            "/v1/feeds/atom",
            "/v1/feeds/json",
            "/v1/feeds/ninjs",
        ] {
            let response = room.get(who, path).await;
            assert_eq!(response.status, 200, "{who:?} {path}: {}", response.text());
            // Feed items name articles by URL or id; their headlines are certain.
            let text = response.text();
            let found = room
                .items
                .iter()
                .filter(|i| {
                    i.resource == "article" && text.contains(&format!("Story {} ", i.marker))
                })
                .map(|i| i.id.clone())
                .collect();
            compare(
                &mut wrong,
                &room,
                who,
                path,
                "article",
                found,
                expected(&room, reader, "article"),
            );
        }
        for item in room.items.iter().filter(|i| i.resource == "article") {
            let response = room
                .get(who, &format!("/v1/articles/{}/ninjs", item.id))
                .await;
            if (response.status == 200) != item.seen_by.contains(&reader) {
                wrong.push(format!(
                    "{who:?} reading the ninjs of {}: {}",
                    item.state, response.status
                ));
            }
        }

        // The change feed, replayed from the start: what remains is what the caller may read.
        if who == Who::Anonymous {
            assert_eq!(room.get(who, "/v1/changes").await.status, 401);
            continue;
        }
        let mut kept: BTreeSet<(String, String)> = BTreeSet::new();
        let mut cursor = String::new();
        loop {
            let page = room
                .get(who, &format!("/v1/changes?limit=100{cursor}"))
                .await
                .value();
            let rows = page["data"].as_array().unwrap().clone();
            for row in &rows {
                let key = (
                    row["resource"].as_str().unwrap().to_owned(),
                    row["id"].as_str().unwrap().to_owned(),
                );
                // For those who see unpublished work, only a delete removes it.
                let removal = match row["operation"].as_str().unwrap() {
                    "delete" => true,
                    "unpublish" => !matches!(who, Who::Owner | Who::Editor),
                    _ => false,
                };
                if removal {
                    kept.remove(&key);
                } else {
                    kept.insert(key);
                }
            }
            if rows.is_empty() {
                break;
            }
            cursor = format!("&since={}", page["next_cursor"].as_str().unwrap());
        }
        for resource in ["article", "quote", "media"] {
            let replayed: BTreeSet<String> = kept
                .iter()
                .filter(|(r, id)| r == resource && room.items.iter().any(|i| &i.id == id))
                .map(|(_, id)| id.clone())
                .collect();
            compare(
                &mut wrong,
                &room,
                who,
                "/v1/changes replayed",
                resource,
                replayed,
                expected(&room, who, resource),
            );
        }
        // Nothing a caller may never read shows in the feed, not even as an id.
        let all = room.get(who, "/v1/changes?limit=100").await.text();
        for item in &room.items {
            // Archived and deleted stories were public once: their removal entries name them.
            let once_public = matches!(item.state, "archived" | "deleted");
            let never = !item.seen_by.contains(&who) && !once_public;
            let partner = matches!(who, Who::Partner | Who::EmbargoPartner);
            if partner && never && item.resource == "article" && all.contains(&item.id) {
                wrong.push(format!(
                    "{who:?} finds the id of the {} article in /v1/changes",
                    item.state
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
