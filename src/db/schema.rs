//! Diesel table definitions, kept by hand in step with `migrations/`.

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Text,
    }
}
