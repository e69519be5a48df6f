//! Validation against the published standards' JSON schemas kept in `../shared/schemas`.

use serde_json::Value;

fn schema_path(name: &str) -> String {
    format!("{}/../shared/schemas/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(schema_path(name))
        .unwrap_or_else(|e| panic!("schema {name} is readable: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Asserts `instance` is valid against the schema file `name`, listing every error otherwise.
pub fn assert_valid(name: &str, instance: &Value) {
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
