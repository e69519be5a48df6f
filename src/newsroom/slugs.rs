//! Slugs, for articles and speakers alike: what a valid one looks like, how one is made from a
//! headline or a name, and how a free one is found.

use diesel::SqliteConnection;

use crate::error::ApiError;

/// The longest slug a client may choose.
pub const MAX: usize = 120;

/// The longest slug made from a headline or name (room is left for a `-2` suffix).
const MADE_MAX: usize = 80;

/// Which resource a slug names: slugs are unique per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Articles (`/v1/articles/{slug}`).
    Article,
    /// Speakers (`/v1/speakers/{slug}`).
    Speaker,
}

impl Kind {
    /// The slug used when a headline or name has no letters or digits to make one from.
    fn fallback(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Speaker => "speaker",
        }
    }
}

/// True for a slug clients may choose: 1 to `max` of `a-z`, `0-9` and single inner hyphens.
pub fn is_slug(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// True for a slug clients may choose for an article or speaker: [`is_slug`] within [`MAX`],
/// and not shaped like an id (slugs and ids share the path; one must never be mistaken for the
/// other).
pub fn is_valid(text: &str) -> bool {
    is_slug(text, MAX) && uuid::Uuid::try_parse(text).is_err()
}

/// A slug made from a headline or a name: lower-case ASCII letters and digits joined by
/// hyphens, accents folded.
pub fn slugify(text: &str, kind: Kind) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= MADE_MAX {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        kind.fallback().to_owned()
    } else {
        slug
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        c => c,
    }
}

/// True when another `kind` than `except` (an id) already has `slug`.
pub fn taken(
    conn: &mut SqliteConnection,
    kind: Kind,
    slug: &str,
    except: Option<&str>,
) -> Result<bool, ApiError> {
    match kind {
        Kind::Article => Ok(crate::db::articles::slug_taken(conn, slug, except)?),
        Kind::Speaker => crate::db::speakers::slug_taken(conn, slug, except),
    }
}

/// `base` when it is free, else the first free `base-2`, `base-3`...
pub fn free(conn: &mut SqliteConnection, kind: Kind, base: &str) -> Result<String, ApiError> {
    if !taken(conn, kind, base, None)? {
        return Ok(base.to_owned());
    }
    for n in 2_u32.. {
        let candidate = format!("{base}-{n}");
        if !taken(conn, kind, &candidate, None)? {
            return Ok(candidate);
        }
    }
    Err(ApiError::internal("no free slug"))
}

/// The slug a new `kind` gets: `chosen` when given and free (a 409 when taken), else one made
/// from `text` and made free.
pub fn for_new(
    conn: &mut SqliteConnection,
    kind: Kind,
    chosen: Option<&str>,
    text: &str,
) -> Result<String, ApiError> {
    match chosen {
        Some(slug) => {
            require_free(conn, kind, slug, None)?;
            Ok(slug.to_owned())
        }
        None => free(conn, kind, &slugify(text, kind)),
    }
}

/// A 409 when another `kind` than `except` has `slug`.
pub fn require_free(
    conn: &mut SqliteConnection,
    kind: Kind,
    slug: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if taken(conn, kind, slug, except)? {
        let noun = match kind {
            Kind::Article => "article",
            Kind::Speaker => "speaker",
        };
        return Err(ApiError::Conflict {
            detail: format!("the slug `{slug}` is already used by another {noun}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_made_from_headlines_and_names() {
        assert_eq!(
            slugify("Rates held at 4% — for now!", Kind::Article),
            "rates-held-at-4-for-now"
        );
        assert_eq!(
            slugify("Café society returns", Kind::Article),
            "cafe-society-returns"
        );
        assert_eq!(slugify("???", Kind::Article), "article");
        assert_eq!(slugify("Amina Diallo", Kind::Speaker), "amina-diallo");
        assert_eq!(
            slugify("  José  Müller-Ortiz! ", Kind::Speaker),
            "jose-muller-ortiz"
        );
        assert_eq!(slugify("李", Kind::Speaker), "speaker");
    }

    #[test]
    fn chosen_slugs_are_lower_case_words_and_never_ids() {
        assert!(is_valid("harbour-tolls-2"));
        assert!(!is_valid("Harbour"));
        assert!(!is_valid("a--b"));
        assert!(!is_valid("-a"));
        assert!(!is_valid(""));
        assert!(!is_valid("019ad5d2-7c1e-7a51-9a44-0c2b8f7e3a10"));
    }
}
