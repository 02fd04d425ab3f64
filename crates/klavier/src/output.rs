//! Files the user asked for (`--json FILE`, …): checked before the first request is
//! sent, written atomically once the run is over.
//!
//! A regular file is written to a temporary file beside it, synced, then renamed over
//! it: a full disk, a crash or a second signal leaves the previous file whole, never
//! half a result. A FIFO or a device (`/dev/stdout`) is written in place — renaming
//! over it would replace the pipe — from a thread of its own, so a pipe nobody reads
//! cannot hold the process past SIGINT or SIGTERM.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;

use crate::engine;
use crate::exit::{BadInput, Stopped};

/// Checks, before the run, that `path` can be written: its directory exists and takes
/// new files, and it is not a directory. `what` names the output in the message
/// ("the JSON result"). `-` (standard output) is always writable.
pub fn check_writable(path: &Path, what: &str) -> Result<(), BadInput> {
    if path == Path::new("-") {
        return Ok(());
    }
    let refuse =
        |why: String| BadInput(format!("cannot write {what} to {}: {why}", path.display()));
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(refuse("it is a directory".into())),
        Ok(meta) if !meta.is_file() => {
            // A FIFO or a device: written in place, nothing to create beside it.
            if meta.permissions().readonly() {
                return Err(refuse("it is not writable".into()));
            }
            Ok(())
        }
        Ok(_) => probe_directory(&resolve(path)).map_err(refuse),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let dir = directory_of(path);
            match fs::metadata(&dir) {
                Ok(meta) if meta.is_dir() => probe_directory(path).map_err(refuse),
                Ok(_) => Err(refuse(format!("{} is not a directory", dir.display()))),
                Err(_) => Err(refuse(format!(
                    "the directory {} does not exist (create it first)",
                    dir.display()
                ))),
            }
        }
        Err(err) => Err(refuse(err.to_string())),
    }
}

/// Writes `bytes` to `path`: atomically for a regular file (or a path not yet there),
/// in place for a FIFO or a device. `what` names the output in errors.
pub fn write(path: &Path, what: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => write_in_place(path, what, bytes),
        _ => write_atomically(&resolve(path), &bytes)
            .with_context(|| format!("writing {what} {}", path.display())),
    }
}

/// A symbolic link is followed, so the rename replaces the file it points at, not the link.
fn resolve(path: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
    } else {
        path.to_owned()
    }
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The temporary file beside `path` that becomes it: same directory, so the rename
/// stays on one file system and is atomic.
fn temporary_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    directory_of(path).join(format!(".{name}.{}.klavier-tmp", std::process::id()))
}

/// Creates and removes the temporary file the write will need: proof that the
/// directory takes new files (permissions, a read-only file system).
fn probe_directory(path: &Path) -> Result<(), String> {
    let temporary = temporary_for(path);
    File::create(&temporary).map_err(|e| e.to_string())?;
    let _ = fs::remove_file(&temporary);
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = temporary_for(path);
    let written = File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// Opening a FIFO for writing blocks until a reader opens it, maybe forever: the
/// blocking part runs on a thread of its own while this one watches for a signal.
fn write_in_place(path: &Path, what: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
    let (done, outcome) = mpsc::channel();
    let target = path.to_owned();
    std::thread::spawn(move || {
        let written = OpenOptions::new()
            .write(true)
            .open(&target)
            .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.flush()));
        let _ = done.send(written);
    });
    let before = engine::received().count;
    let mut told = false;
    loop {
        match outcome.recv_timeout(Duration::from_millis(50)) {
            Ok(written) => {
                return written.with_context(|| format!("writing {what} {}", path.display()))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the writer of {what} died"),
            Err(mpsc::RecvTimeoutError::Timeout) if !told => {
                told = true;
                eprintln!(
                    "klavier: waiting for a reader of {what} {} (Ctrl-C gives up on it)",
                    path.display()
                );
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let received = engine::received();
        if let (true, Some(signal)) = (received.count > before, received.first) {
            // The thread stays blocked in `open`; the process exits without it.
            return Err(anyhow::Error::new(Stopped(signal)).context(format!(
                "{what} {} was not written: nobody opened it for reading",
                path.display()
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_or_a_directory_is_refused_before_the_run() {
        let dir = tempfile::tempdir().expect("the temporary directory works");
        let missing = dir.path().join("no/such/dir/result.json");
        let err = check_writable(&missing, "the JSON result").expect_err("refused");
        assert!(
            err.0.contains("no/such/dir") && err.0.contains("does not exist"),
            "{err}"
        );
        let err = check_writable(dir.path(), "the JSON result").expect_err("refused");
        assert!(err.0.contains("is a directory"), "{err}");
        check_writable(&dir.path().join("result.json"), "the JSON result")
            .expect("the temporary directory works");
        check_writable(Path::new("-"), "the JSON result").expect("the temporary directory works");
        // The probe leaves nothing behind.
        assert_eq!(
            fs::read_dir(dir.path())
                .expect("the temporary directory works")
                .count(),
            0
        );
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_whole() {
        let dir = tempfile::tempdir().expect("the temporary directory works");
        let path = dir.path().join("result.json");
        fs::write(&path, "previous").expect("the temporary directory works");
        write(&path, "the JSON result", b"new".to_vec()).expect("the temporary directory works");
        assert_eq!(
            fs::read_to_string(&path).expect("the temporary directory works"),
            "new"
        );
        // The rename cannot replace a non-empty directory: the write fails, the
        // temporary file is gone and nothing else changed.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).expect("the temporary directory works");
        fs::write(blocked.join("inside"), "x").expect("the temporary directory works");
        assert!(write_atomically(&blocked, b"new").is_err());
        assert_eq!(
            fs::read_dir(dir.path())
                .expect("the temporary directory works")
                .count(),
            2
        );
    }

    #[test]
    fn a_symlink_is_followed_not_replaced() {
        let dir = tempfile::tempdir().expect("the temporary directory works");
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&real, "old").expect("the temporary directory works");
        std::os::unix::fs::symlink(&real, &link).expect("the temporary directory works");
        write(&link, "the JSON result", b"new".to_vec()).expect("the temporary directory works");
        assert!(fs::symlink_metadata(&link)
            .expect("the temporary directory works")
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(&real).expect("the temporary directory works"),
            "new"
        );
    }
}
