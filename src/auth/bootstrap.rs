//! The first admin: from `NEWSDESK_ADMIN_EMAIL` and `NEWSDESK_ADMIN_PASSWORD` when no user
//! exists, or, in demo mode with none configured, `admin@localhost` with a random password
//! printed once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;

use crate::auth::users::{NewUser, normalize_email, validate_new_user};
use crate::auth::{Role, password};
use crate::config::Settings;
use crate::db::users::NewUserRow;
use crate::db::{self, Db};

/// The demo admin's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@localhost";

/// Creates the first admin when the database has no user and one is configured (or demo mode
/// asks for one). Returns a message to print once when a password was generated.
pub fn ensure_first_admin(settings: &Settings, db: &Db) -> anyhow::Result<Option<String>> {
    let configured = match (&settings.admin_email, &settings.admin_password) {
        (Some(email), Some(password)) => Some((email.clone(), password.expose_secret().to_owned())),
        (None, None) => None,
        _ => anyhow::bail!(
            "configuration error: NEWSDESK_ADMIN_EMAIL and NEWSDESK_ADMIN_PASSWORD must be set together"
        ),
    };
    let (email, password, generated) = match configured {
        Some((email, password)) => (email, password, false),
        None if settings.demo => {
            let mut random = [0u8; 15];
            rand::fill(&mut random);
            (
                DEMO_ADMIN_EMAIL.to_owned(),
                URL_SAFE_NO_PAD.encode(random),
                true,
            )
        }
        None => return Ok(None),
    };
    let user = NewUser {
        email: email.clone(),
        display_name: Some("Administrator".to_owned()),
        role: Role::Admin,
        password: password.clone(),
    };
    validate_new_user(&user).map_err(|e| {
        anyhow::anyhow!("configuration error: NEWSDESK_ADMIN_EMAIL or NEWSDESK_ADMIN_PASSWORD: {e}")
    })?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    if db::users::count(&mut conn)? > 0 {
        return Ok(None);
    }
    let hash = password::hash(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let email = normalize_email(&email);
    let created = conn.immediate_transaction(|conn| {
        // Checked again under the write lock: another process may have just created one.
        if db::users::count(conn)? > 0 {
            return Ok::<bool, diesel::result::Error>(false);
        }
        let now = crate::time::now();
        let id = uuid::Uuid::now_v7().to_string();
        db::users::insert(
            conn,
            &NewUserRow {
                id: &id,
                email: &email,
                display_name: "Administrator",
                role: Role::Admin.as_str(),
                password_hash: &hash,
                created_at: &now,
                updated_at: &now,
            },
        )?;
        Ok(true)
    })?;
    if !created {
        return Ok(None);
    }
    tracing::info!(%email, "created the first admin");
    Ok(generated.then(|| {
        format!(
            "Demo admin:  {email} / {password}  (shown once: sign in at POST /v1/auth/token or \
             with the Swagger UI's Authorize button, then change it at POST /v1/auth/password)"
        )
    }))
}
