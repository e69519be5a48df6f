//! The JSON the API answers with, built from stored rows: one shape per resource, used by the
//! handlers, by the content core (an article's revisions are snapshots of this shape) and by
//! the command line's export. Kept apart from the database rows so that tables and the public
//! shape change independently, and apart from the handlers so nothing imports a handler.

pub mod api_keys;
pub mod articles;
pub mod media;
pub mod quotes;
pub mod speakers;
pub mod users;
