//! Validation against the published standards' JSON schemas kept in `../shared/schemas`.

use serde_json::Value;

/// Where the standards' schemas are: `NEWSDESK_SCHEMAS_DIR`, else the project's shared folder
/// beside the repository (`../shared/schemas`), where CI keeps them.
fn schema_dir() -> std::path::PathBuf {
    std::env::var_os("NEWSDESK_SCHEMAS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas")
        })
}

fn load(name: &str) -> Value {
    let path = schema_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("schema {} is readable: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Asserts `instance` is valid against the schema file `name`, listing every error otherwise.
///
/// A checkout without the schema folder (a lone clone of the repository) skips only this
/// validation, saying so; the calling test's own assertions still run.
pub fn assert_valid(name: &str, instance: &Value) {
    if !schema_dir().is_dir() {
        eprintln!(
            "note: {} not found; {name} validation skipped (set NEWSDESK_SCHEMAS_DIR)",
            schema_dir().display()
        );
        return;
    }
    let schema = load(name);
    let geojson = load("GeoJSON-schema.json");
    let registry = jsonschema::Registry::new()
        .add(
            "https://geojson.org/schema/GeoJSON.json",
            jsonschema::Resource::from_contents(geojson),
        )
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid against {name}: {errors:#?}\n{instance:#}"
    );
}
