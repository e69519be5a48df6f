//! `newsdesk media verify`: checks every file the records name against its SHA-256 and finds
//! files on disk that no record names.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::media::MediaStore;

/// A file a record expects: its digest and who names it.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Hex SHA-256 (also the file name).
    pub sha256: String,
    /// The media id and what the file is, e.g. `0193…: original`.
    pub owner: String,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Files checked and found intact.
    pub ok: usize,
    /// Files a record names that are not on disk.
    pub missing: Vec<Expected>,
    /// Files whose content does not match their recorded digest.
    pub corrupt: Vec<Expected>,
    /// Files in the store that no record names.
    pub orphaned: Vec<PathBuf>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty() && self.orphaned.is_empty()
    }
}

fn file_digest(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

/// Checks the expected files against the store under `media_dir`. `progress` is called once
/// per file checked with (done, total).
pub fn verify(
    media_dir: &Path,
    expected: &[Expected],
    mut progress: impl FnMut(usize, usize),
) -> io::Result<Report> {
    let store = MediaStore::new(media_dir);
    let mut report = Report::default();
    // One check per distinct file, however many records share it.
    let mut by_sha: BTreeMap<&str, &Expected> = BTreeMap::new();
    for item in expected {
        by_sha.entry(item.sha256.as_str()).or_insert(item);
    }
    let total = by_sha.len();
    for (done, (sha, item)) in by_sha.iter().enumerate() {
        let Ok(path) = store.path_for(sha) else {
            report.corrupt.push((*item).clone());
            continue;
        };
        match file_digest(&path) {
            Ok(actual) if actual == *sha => report.ok += 1,
            Ok(_) => report.corrupt.push((*item).clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.missing.push((*item).clone()),
            Err(e) => return Err(e),
        }
        progress(done + 1, total);
    }
    let mut on_disk = Vec::new();
    walk(&media_dir.join("originals"), &mut on_disk)?;
    for path in on_disk {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !by_sha.contains_key(name.as_str()) {
            report.orphaned.push(path);
        }
    }
    report.orphaned.sort();
    Ok(report)
}

/// The files the records name: each record's original and every rendition, from rows of
/// (id, original digest, renditions JSON).
pub fn expected_files(rows: &[(String, String, String)]) -> Vec<Expected> {
    let mut expected = Vec::new();
    for (id, sha256, renditions) in rows {
        expected.push(Expected {
            sha256: sha256.clone(),
            owner: format!("{id}: original"),
        });
        for r in crate::media::renditions::parse(renditions) {
            if !r.sha256.is_empty() {
                expected.push(Expected {
                    sha256: r.sha256,
                    owner: format!("{id}: {}px {}", r.width, r.content_type),
                });
            }
        }
    }
    expected
}

/// Prints what a check found, one line per problem and a summary; true when all is well.
pub fn print_report(report: &Report) -> bool {
    for item in &report.missing {
        println!("missing   {} ({})", item.sha256, item.owner);
    }
    for item in &report.corrupt {
        println!("corrupt   {} ({})", item.sha256, item.owner);
    }
    for path in &report.orphaned {
        println!("orphaned  {}", path.display());
    }
    println!(
        "{} file(s) intact, {} missing, {} corrupt, {} orphaned",
        report.ok,
        report.missing.len(),
        report.corrupt.len(),
        report.orphaned.len()
    );
    report.is_clean()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::media::sha256_hex;

    #[test]
    fn missing_corrupt_and_orphaned_files_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::new(dir.path());
        let good = sha256_hex(b"good");
        let bad = sha256_hex(b"bad");
        let gone = sha256_hex(b"gone");
        let stray = sha256_hex(b"stray");
        store.put(&good, b"good").unwrap();
        store.put(&bad, b"tampered").unwrap();
        store.put(&stray, b"stray").unwrap();
        let expected: Vec<Expected> = [&good, &bad, &gone, &good]
            .iter()
            .map(|sha| Expected {
                sha256: (*sha).clone(),
                owner: "m".into(),
            })
            .collect();

        let report = verify(dir.path(), &expected, |_, _| {}).unwrap();

        assert_eq!(report.ok, 1);
        assert_eq!(report.corrupt[0].sha256, bad);
        assert_eq!(report.missing[0].sha256, gone);
        assert_eq!(report.orphaned, vec![store.path_for(&stray).unwrap()]);
        assert!(!report.is_clean());
    }
}
