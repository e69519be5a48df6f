//! Renditions and crops on disk: storing a processed upload (cleaned original plus its
//! renditions, each named by its own SHA-256 in the media store), the `renditions` JSON
//! recorded with a photo, choosing a rendition for `?w=`, the sizes crops are offered in, the
//! bound on crops made at once, and the bounded cache of focal-point crops.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AspectRatio;
use crate::error::ApiError;

use crate::imaging::{self, Format, ImageError, Processed};
use crate::media::{MediaStore, sha256_hex};

/// One rendition as recorded in the `media.renditions` column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRendition {
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Media type.
    pub content_type: String,
    /// Where to fetch it.
    pub url: String,
    /// Hex SHA-256 of the file, also its name in the store.
    #[serde(default)]
    pub sha256: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: i64,
}

/// The URL of a rendition of media `id`: `?w=` picks the size; `format=webp` is added for the
/// WebP copy of a photo whose original is in another format.
pub fn rendition_url(public_url: &str, id: &str, width: i64, webp_copy: bool) -> String {
    let format = if webp_copy { "&format=webp" } else { "" };
    format!("{public_url}/v1/media/{id}/file?w={width}{format}")
}

/// Reads the recorded renditions; a column that cannot be read counts as none.
pub fn parse(json: &str) -> Vec<StoredRendition> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The smallest rendition at least `width` wide in the preferred type (WebP when `webp`,
/// otherwise the original's type), or `None` when none is wide enough and the original should
/// be served.
pub fn choose<'a>(
    renditions: &'a [StoredRendition],
    original_type: &str,
    width: i64,
    webp: bool,
) -> Option<&'a StoredRendition> {
    let wanted = if webp { "image/webp" } else { original_type };
    renditions
        .iter()
        .filter(|r| r.content_type == wanted && r.width >= width)
        .min_by_key(|r| r.width)
}

/// The height of a crop `width` wide in `ratio`, rounded to the nearest pixel.
pub fn crop_height(ratio: AspectRatio, width: u32) -> u32 {
    let height = (u64::from(width) * u64::from(ratio.height) * 2 + u64::from(ratio.width))
        / (2 * u64::from(ratio.width));
    u32::try_from(height.max(1)).unwrap_or(u32::MAX)
}

/// Checks that `width`×`height` is an offered crop size: one of the configured `ratios` at one
/// of the rendition `widths`. Anything else is a 400 naming `w` (not a rendition width) or `h`
/// (no offered ratio at that width), so the crops of one photo are a small fixed set and
/// requests for arbitrary sizes cannot fill the disk or the CPU.
pub fn check_crop_size(
    widths: &[u32],
    ratios: &[AspectRatio],
    width: u32,
    height: u32,
) -> Result<(), ApiError> {
    if !widths.contains(&width) {
        let list = widths.iter().map(u32::to_string).collect::<Vec<_>>();
        return Err(ApiError::bad_field(
            "w",
            format!(
                "a crop's width must be one of the rendition widths: {}",
                list.join(", ")
            ),
        ));
    }
    if ratios.iter().any(|r| crop_height(*r, width) == height) {
        return Ok(());
    }
    let offered = ratios
        .iter()
        .map(|r| format!("{} ({}:{})", crop_height(*r, width), r.width, r.height))
        .collect::<Vec<_>>();
    Err(ApiError::bad_field(
        "h",
        format!(
            "with w={width} a crop's height must be one of {}",
            offered.join(", ")
        ),
    ))
}

/// How many crops may be made (decoded, resized, encoded) at once, so many distinct crop
/// requests queue instead of exhausting CPU and memory. One per server, shared by its workers.
#[derive(Debug, Clone)]
pub struct CropLimit {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl CropLimit {
    /// `concurrency` crops at once (0 means one per core); a crop waits at most `wait` for
    /// its turn.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            concurrency
        };
        CropLimit {
            permits: Arc::new(Semaphore::new(concurrency)),
            wait,
        }
    }

    /// A turn to make one crop, held until dropped; a 503 with `Retry-After` when none comes
    /// free within the wait.
    pub async fn permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let busy = || ApiError::Unavailable {
            retry_after: 1,
            detail: "too many crops are being made; retry shortly".to_owned(),
        };
        match tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // A closed semaphore never happens (it is never closed); treat it as busy.
            Ok(Err(_)) | Err(_) => Err(busy()),
        }
    }
}

/// Files written for one upload: the original's digest and the recorded renditions, plus the
/// digests of files this call created (so a failed request can take them away again).
#[derive(Debug, Clone)]
pub struct StoredFiles {
    /// Digest of the cleaned original.
    pub sha256: String,
    /// Size of the cleaned original.
    pub bytes: i64,
    /// The renditions, smallest first.
    pub renditions: Vec<StoredRendition>,
    /// Files that did not exist before.
    pub created: Vec<String>,
}

/// Writes the cleaned original and every rendition of a processed upload into the store.
pub fn store_processed(
    store: &MediaStore,
    processed: &Processed,
    public_url: &str,
    id: &str,
) -> io::Result<StoredFiles> {
    let mut created = Vec::new();
    let result = (|| {
        let sha256 = sha256_hex(&processed.original.bytes);
        if store.put(&sha256, &processed.original.bytes)? {
            created.push(sha256.clone());
        }
        let mut renditions = Vec::with_capacity(processed.renditions.len());
        for derived in &processed.renditions {
            let sha = sha256_hex(&derived.bytes);
            if store.put(&sha, &derived.bytes)? {
                created.push(sha.clone());
            }
            let webp_copy =
                derived.format == Format::Webp && processed.original.format != Format::Webp;
            renditions.push(StoredRendition {
                width: i64::from(derived.width),
                height: i64::from(derived.height),
                content_type: derived.format.content_type().to_owned(),
                url: rendition_url(public_url, id, i64::from(derived.width), webp_copy),
                sha256: sha,
                bytes: i64::try_from(derived.bytes.len()).unwrap_or(i64::MAX),
            });
        }
        Ok((sha256, renditions))
    })();
    match result {
        Ok((sha256, renditions)) => Ok(StoredFiles {
            sha256,
            bytes: i64::try_from(processed.original.bytes.len()).unwrap_or(i64::MAX),
            renditions,
            created,
        }),
        Err(err) => {
            for sha in &created {
                let _ = store.remove(sha);
            }
            Err(err)
        }
    }
}

/// A cache of focal-point crops under `crops/` in the media directory, kept under a byte
/// budget by removing the least recently used files (a hit refreshes a file's time).
#[derive(Debug, Clone)]
pub struct CropCache {
    dir: PathBuf,
    budget: u64,
}

/// What a crop is made from and how.
#[derive(Debug, Clone, PartialEq)]
pub struct CropSpec {
    /// Digest of the photo's original (crop files start with it, so deleting the photo can
    /// find them).
    pub original_sha256: String,
    /// Wanted width.
    pub width: u32,
    /// Wanted height.
    pub height: u32,
    /// Focal point, 0..1 from the left.
    pub fx: f64,
    /// Focal point, 0..1 from the top.
    pub fy: f64,
    /// Output format.
    pub format: Format,
}

impl CropSpec {
    /// The cache file name, which is also a strong validator: the same inputs always give the
    /// same bytes.
    pub fn key(&self) -> String {
        let digest = sha256_hex(
            format!(
                "{}:{}x{}:{:.4}:{:.4}:{}",
                self.original_sha256,
                self.width,
                self.height,
                self.fx,
                self.fy,
                self.format.extension()
            )
            .as_bytes(),
        );
        format!(
            "{}-{}.{}",
            self.original_sha256,
            &digest[..32],
            self.format.extension()
        )
    }
}

impl CropCache {
    /// The cache under `media_dir/crops`, holding at most `budget` bytes.
    pub fn new(media_dir: &Path, budget: u64) -> Self {
        CropCache {
            dir: media_dir.join("crops"),
            budget,
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// The cached crop, refreshing its time so it counts as recently used.
    pub fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let path = self.path(key);
        match fs::read(&path) {
            Ok(bytes) => {
                if let Ok(file) = fs::File::options().write(true).open(&path) {
                    let _ = file.set_modified(SystemTime::now());
                }
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores a crop (atomically, by rename) and evicts the least recently used crops while
    /// the cache is over budget. A crop larger than the whole budget is not kept.
    pub fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() as u64 > self.budget {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)?;
        temp.write_all(bytes)?;
        temp.persist(self.path(key)).map_err(|e| e.error)?;
        self.evict()
    }

    /// Removes the least recently used crops until the total is within budget.
    pub fn evict(&self) -> io::Result<()> {
        let mut files = Vec::new();
        let mut total = 0u64;
        for entry in fs::read_dir(&self.dir)?.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            total += meta.len();
            let at = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            files.push((at, meta.len(), entry.path()));
        }
        if total <= self.budget {
            return Ok(());
        }
        files.sort_by_key(|(at, _, _)| *at);
        for (_, len, path) in files {
            if total <= self.budget {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
        Ok(())
    }

    /// Removes every cached crop of the original with this digest.
    pub fn remove_for(&self, original_sha256: &str) -> io::Result<()> {
        let prefix = format!("{original_sha256}-");
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }

    /// Makes the crop for `spec` from `source` (the stored file with that digest: the original
    /// or a rendition at least as large as the crop) and caches it. Synchronous CPU work:
    /// callers look in the cache first ([`CropCache::get`] with [`CropSpec::key`]), then hold a
    /// [`CropLimit`] permit and run this on the blocking pool.
    pub fn make(
        &self,
        store: &MediaStore,
        source_sha256: &str,
        spec: &CropSpec,
        max_pixels: u64,
    ) -> Result<Vec<u8>, CropError> {
        let key = spec.key();
        let len = store.len(source_sha256)?;
        let source = store.read_range(source_sha256, 0, len)?;
        let probe = imaging::probe(&source, max_pixels)?;
        let image = imaging::decode(&source, probe)?;
        let cropped = imaging::focal_crop(&image, spec.width, spec.height, spec.fx, spec.fy);
        let bytes = imaging::encode(&cropped, spec.format)?;
        self.put(&key, &bytes)?;
        Ok(bytes)
    }
}

/// Why a crop could not be served.
#[derive(Debug)]
pub enum CropError {
    /// Reading or writing files failed.
    Io(io::Error),
    /// The stored image could not be decoded or the crop encoded.
    Image(ImageError),
}

impl From<io::Error> for CropError {
    fn from(e: io::Error) -> Self {
        CropError::Io(e)
    }
}

impl From<ImageError> for CropError {
    fn from(e: ImageError) -> Self {
        CropError::Image(e)
    }
}

impl std::fmt::Display for CropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CropError::Io(e) => write!(f, "crop file: {e}"),
            CropError::Image(e) => write!(f, "crop image: {e}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rendition(width: i64, content_type: &str) -> StoredRendition {
        StoredRendition {
            width,
            height: width / 2,
            content_type: content_type.into(),
            url: String::new(),
            sha256: String::new(),
            bytes: 0,
        }
    }

    #[test]
    fn the_smallest_rendition_wide_enough_in_the_preferred_type_is_chosen() {
        let all = vec![
            rendition(320, "image/jpeg"),
            rendition(320, "image/webp"),
            rendition(640, "image/jpeg"),
            rendition(640, "image/webp"),
        ];
        assert_eq!(choose(&all, "image/jpeg", 300, false).unwrap().width, 320);
        assert_eq!(choose(&all, "image/jpeg", 321, false).unwrap().width, 640);
        assert_eq!(
            choose(&all, "image/jpeg", 400, true).unwrap().content_type,
            "image/webp"
        );
        assert!(choose(&all, "image/jpeg", 641, false).is_none());
    }

    #[test]
    fn crops_are_offered_in_each_ratio_at_each_rendition_width_only() {
        let ratio = |width, height| AspectRatio { width, height };
        let ratios = [ratio(1, 1), ratio(16, 9), ratio(3, 2)];
        let widths = [320, 1000];
        assert_eq!(crop_height(ratio(16, 9), 320), 180);
        assert_eq!(crop_height(ratio(3, 2), 1000), 667);
        for (w, h) in [(320, 320), (320, 180), (320, 213), (1000, 667), (1000, 563)] {
            assert!(check_crop_size(&widths, &ratios, w, h).is_ok(), "{w}x{h}");
        }
        let field = |w, h| {
            check_crop_size(&widths, &ratios, w, h)
                .unwrap_err()
                .problem()
                .errors[0]
                .field
                .clone()
        };
        assert_eq!(field(321, 321), "w");
        assert_eq!(field(320, 200), "h");
        assert_eq!(field(1000, 666), "h");
    }

    #[actix_web::test]
    async fn crops_wait_for_a_free_turn_and_give_up_with_a_503() {
        let limit = CropLimit::new(1, Duration::from_millis(20));
        let held = limit.permit().await.unwrap();
        let refused = limit.permit().await.unwrap_err();
        drop(held);
        let again = limit.permit().await;
        assert_eq!(refused.problem().status, 503);
        assert!(again.is_ok());
    }

    #[test]
    fn the_crop_cache_evicts_the_least_recently_used_over_budget() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CropCache::new(dir.path(), 25);
        cache.put("a", &[0; 10]).unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(dir.path().join("crops/a"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        cache.put("b", &[0; 10]).unwrap();
        cache.put("c", &[0; 10]).unwrap();
        assert!(cache.get("a").unwrap().is_none());
        assert!(cache.get("b").unwrap().is_some());
        assert!(cache.get("c").unwrap().is_some());
        cache.put("huge", &[0; 26]).unwrap();
        assert!(cache.get("huge").unwrap().is_none());
    }
}
