//! JSON merge-patch (RFC 7396) bodies: telling `null` from absent, and the checks of the
//! text fields a body sets.

use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, FieldError};

/// Deserialises a merge-patch field: absent stays `None` (with `#[serde(default)]`), `null`
/// becomes `Some(None)`, a value `Some(Some(v))`.
pub fn patch_field<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Collects length and emptiness problems of text fields.
#[derive(Debug, Default)]
pub struct Checks {
    /// The problems found so far.
    pub errors: Vec<FieldError>,
}

impl Checks {
    /// A required text: not blank and at most `max` characters.
    pub fn required(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.errors
                .push(FieldError::new(field, "must not be empty"));
        } else {
            self.optional(field, Some(value), max);
        }
    }

    /// An optional text: at most `max` characters.
    pub fn optional(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value
            && value.chars().count() > max
        {
            self.errors.push(FieldError::new(
                field,
                format!("must be at most {max} characters"),
            ));
        }
    }

    /// Records a problem.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// 422 when anything was found.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// A required field patched to `null`: recorded as a problem.
pub fn not_null<T>(checks: &mut Checks, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(None) => {
            checks.push(field, "cannot be null");
            None
        }
        Some(Some(v)) => Some(v),
        None => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn patch_fields_tell_null_from_absent() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "patch_field")]
            a: Option<Option<String>>,
        }
        let absent: P = serde_json::from_str("{}").unwrap();
        let null: P = serde_json::from_str(r#"{"a":null}"#).unwrap();
        let set: P = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert_eq!(absent.a, None);
        assert_eq!(null.a, Some(None));
        assert_eq!(set.a, Some(Some("x".into())));
    }
}
