//! Where uploaded originals live on disk: one file per distinct content, named by its SHA-256
//! under the media directory, so client file names never become paths and identical uploads
//! share one file.

pub mod renditions;
pub mod rights;
pub mod verify;

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Room for the multipart framing and metadata parts around an upload's file: an upload
/// may be this much larger than `NEWSDESK_MAX_UPLOAD_BYTES` in all.
pub const UPLOAD_FORM_OVERHEAD: usize = 256 * 1024;

/// The store of original files under a media directory.
#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

/// The lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl MediaStore {
    /// A store rooted at the media directory.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        MediaStore { root: root.into() }
    }

    /// The path of the original with this digest: `originals/ab/abcdef…`.
    pub fn path_for(&self, sha256: &str) -> io::Result<PathBuf> {
        if !is_digest(sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a SHA-256 digest",
            ));
        }
        Ok(self.root.join("originals").join(&sha256[..2]).join(sha256))
    }

    /// Writes `bytes` under `sha256` unless a file with that content is already there. The
    /// bytes go to a temporary file in the same directory, are flushed to disk, then renamed
    /// into place, so a reader never sees half a file and a crash leaves no partial original.
    /// Returns true when this call created the file.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> io::Result<bool> {
        let path = self.path_for(sha256)?;
        if path.exists() {
            return Ok(false);
        }
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("media path has no parent"))?;
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(bytes)?;
        temp.as_file().sync_all()?;
        temp.persist(&path).map_err(|e| e.error)?;
        sync_dir(dir);
        Ok(true)
    }

    /// Removes the original with this digest; a file already gone is not an error.
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path_for(sha256)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The length of the stored original.
    pub fn len(&self, sha256: &str) -> io::Result<u64> {
        Ok(fs::metadata(self.path_for(sha256)?)?.len())
    }

    /// Reads `length` bytes of the original from `start`.
    pub fn read_range(&self, sha256: &str, start: u64, length: u64) -> io::Result<Vec<u8>> {
        let mut file = File::open(self.path_for(sha256)?)?;
        file.seek(SeekFrom::Start(start))?;
        let mut buffer = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        file.take(length).read_to_end(&mut buffer)?;
        Ok(buffer)
    }

    /// The media directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

// Makes the rename durable; not every platform can open a directory, so failure is ignored.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

/// A byte range asked for with `Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable single range: serve everything.
    Whole,
    /// Serve bytes `start..=end`.
    Part {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// A well-formed range that lies outside the file.
    Unsatisfiable,
}

/// Interprets a `Range` header against a file of `len` bytes. Only a single `bytes=` range is
/// served as a part; several ranges or another unit get the whole file, as RFC 9110 allows.
pub fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // A suffix: the last N bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeRequest::Unsatisfiable,
            Ok(_) if len == 0 => RangeRequest::Unsatisfiable,
            Ok(n) => RangeRequest::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            Err(_) => RangeRequest::Whole,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Whole;
    };
    let end = if last.is_empty() {
        None
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => Some(end),
            _ => return RangeRequest::Whole,
        }
    };
    if start >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part {
        start,
        end: end.map_or(len - 1, |e| e.min(len - 1)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_understood_and_others_serve_everything() {
        assert_eq!(
            parse_range(Some("bytes=0-9"), 100),
            RangeRequest::Part { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            RangeRequest::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            RangeRequest::Part { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=50-500"), 100),
            RangeRequest::Part { start: 50, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=9-1"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(None, 100), RangeRequest::Whole);
    }

    #[test]
    fn files_are_named_by_digest_and_shared() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::new(dir.path());
        let sha = sha256_hex(b"abc");
        assert!(store.put(&sha, b"abc").unwrap());
        assert!(!store.put(&sha, b"abc").unwrap());
        assert_eq!(store.read_range(&sha, 1, 2).unwrap(), b"bc");
        store.remove(&sha).unwrap();
        store.remove(&sha).unwrap();
        assert!(store.path_for("../../etc/passwd").is_err());
    }
}
