//! Diesel table definitions, kept by hand in step with `migrations/`.

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    media (id) {
        id -> Text,
        kind -> Text,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        sha256 -> Text,
        caption -> Nullable<Text>,
        credit -> Nullable<Text>,
        alt_text -> Nullable<Text>,
        copyright -> Nullable<Text>,
        license -> Nullable<Text>,
        syndication_allowed -> Bool,
        usage_expires -> Nullable<Text>,
        focal_x -> Nullable<Double>,
        focal_y -> Nullable<Double>,
        renditions -> Text,
        created_by -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    speakers (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        title -> Nullable<Text>,
        organization -> Nullable<Text>,
        bio -> Nullable<Text>,
        photo_media_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    articles (id) {
        id -> Text,
        slug -> Text,
        headline -> Text,
        standfirst -> Nullable<Text>,
        body -> Text,
        body_html -> Text,
        section -> Nullable<Text>,
        byline -> Nullable<Text>,
        source -> Nullable<Text>,
        dateline -> Nullable<Text>,
        language -> Text,
        status -> Text,
        published_at -> Nullable<Text>,
        embargo_until -> Nullable<Text>,
        hero_media_id -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
        copyright -> Nullable<Text>,
        corrections -> Text,
        author_id -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
        tags -> Text,
        first_published_at -> Nullable<Text>,
    }
}

diesel::table! {
    article_tags (article_id, tag) {
        article_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    article_media (article_id, media_id) {
        article_id -> Text,
        media_id -> Text,
    }
}

diesel::table! {
    quotes (id) {
        id -> Text,
        text -> Text,
        speaker_id -> Text,
        article_id -> Nullable<Text>,
        context -> Nullable<Text>,
        speaker_title -> Nullable<Text>,
        said_on -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    article_quotes (article_id, quote_id) {
        article_id -> Text,
        quote_id -> Text,
    }
}

diesel::table! {
    article_revisions (article_id, number) {
        article_id -> Text,
        number -> BigInt,
        version -> BigInt,
        author_id -> Nullable<Text>,
        created_at -> Text,
        snapshot -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        resource -> Text,
        resource_id -> Text,
        operation -> Text,
        version -> BigInt,
        at -> Text,
        removed_for -> Integer,
    }
}

diesel::table! {
    idempotency_keys (caller, key) {
        caller -> Text,
        key -> Text,
        method -> Text,
        path -> Text,
        request_hash -> Text,
        status -> Integer,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Binary,
        created_at -> Text,
        completed -> Bool,
    }
}

diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_media -> articles (article_id));
diesel::joinable!(article_media -> media (media_id));
diesel::joinable!(article_quotes -> articles (article_id));
diesel::joinable!(article_quotes -> quotes (quote_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(quotes -> speakers (speaker_id));
diesel::joinable!(quotes -> articles (article_id));
diesel::joinable!(speakers -> media (photo_media_id));
diesel::joinable!(articles -> media (hero_media_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    media,
    speakers,
    articles,
    article_tags,
    article_media,
    quotes,
    article_quotes,
    article_revisions,
    changes,
    idempotency_keys,
    users,
    refresh_tokens,
    api_keys,
);

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled -> Bool,
        token_version -> BigInt,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        token_version -> BigInt,
        expires_at -> Text,
        used_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scopes -> Text,
        rate_limit_count -> BigInt,
        rate_limit_period_secs -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        revoked_at -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

// The FTS5 index of articles (migration 2026-11-30-000400); declared so searches can join it
// to `articles` and keep using the typed visibility rule.
diesel::table! {
    articles_fts (rowid) {
        rowid -> BigInt,
        article_id -> Text,
        headline -> Text,
        standfirst -> Text,
        body -> Text,
    }
}

diesel::joinable!(articles_fts -> articles (article_id));
diesel::allow_tables_to_appear_in_same_query!(articles_fts, articles);

// Article counts per section and tag, kept by triggers (migration 2026-11-30-000403).
diesel::table! {
    taxonomy_counts (kind, name) {
        kind -> Text,
        name -> Text,
        released -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        last_seq -> BigInt,
        created_by -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        change_seq -> BigInt,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Text>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries, changes);

diesel::table! {
    articles_fts_rows (article_id) {
        article_id -> Text,
        fts_rowid -> BigInt,
    }
}
