//! The container images: the official `redis:7` / `memcached:1.6` when the engine already has
//! them, else `easy-cache-test/redis:<debian version>` and `easy-cache-test/memcached:<...>`
//! built once, without any registry, `FROM scratch` plus this machine's Debian binaries and
//! the libraries `ldd` lists.

use super::{Error, Result, binaries, cmd, docker};
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Duration,
};

/// Bump when the image recipe changes, so old local images are not reused.
const RECIPE: &str = "r1";

/// Which server an image runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `redis-server` and `redis-cli`.
    Redis,
    /// `memcached`.
    Memcached,
}

impl Flavor {
    fn official(self) -> &'static str {
        match self {
            Flavor::Redis => "redis:7",
            Flavor::Memcached => "memcached:1.6",
        }
    }

    fn package(self) -> &'static str {
        match self {
            Flavor::Redis => "redis-server",
            Flavor::Memcached => "memcached",
        }
    }

    fn repository(self) -> &'static str {
        match self {
            Flavor::Redis => "easy-cache-test/redis",
            Flavor::Memcached => "easy-cache-test/memcached",
        }
    }

    fn programs(self) -> &'static [&'static str] {
        match self {
            Flavor::Redis => &["redis-server", "redis-cli"],
            Flavor::Memcached => &["memcached"],
        }
    }
}

/// The image to run `flavor` from, building it first when needed.
pub(crate) async fn image_for(flavor: Flavor) -> Result<String> {
    // Tests starting servers at once must not build the same image twice.
    static BUILDING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = BUILDING.lock().await;
    if docker::image_exists(flavor.official()).await {
        return Ok(flavor.official().to_owned());
    }
    binaries::ensure().await?;
    let version = binaries::package_version(flavor.package())
        .await
        .unwrap_or_else(|| "local".to_owned());
    let tag = format!(
        "{}:{}-{RECIPE}",
        flavor.repository(),
        sanitize_tag(&version)
    );
    if docker::image_exists(&tag).await {
        return Ok(tag);
    }
    tracing::info!("building image {tag}");
    let context = std::env::temp_dir().join(format!(
        "easy-cache-image-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let built = async {
        write_context(flavor, &context).await?;
        docker::build(&tag, &context.to_string_lossy()).await
    }
    .await;
    // The context is a copy of system files: never leave it behind.
    let _ = std::fs::remove_dir_all(&context);
    built.map(|()| tag)
}

/// A Docker tag allows `[A-Za-z0-9_.-]`; Debian versions also have `:`, `~` and `+`.
fn sanitize_tag(version: &str) -> String {
    version
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '.' | '-' => c,
            _ => '_',
        })
        .collect()
}

/// Writes `Dockerfile` and `rootfs/` (programs, their libraries, the loader, a passwd file
/// and a world-writable `/data`) into `dir`.
async fn write_context(flavor: Flavor, dir: &Path) -> Result<()> {
    let io = |what: &str, e: std::io::Error| Error::new(format!("image context {what}: {e}"));
    let rootfs = dir.join("rootfs");
    let mut files = BTreeSet::new();
    for program in flavor.programs() {
        let path = binaries::find(program)
            .ok_or_else(|| Error::new(format!("`{program}` is not installed")))?;
        // Copied under its own name: redis-server is a symlink to redis-check-rdb and picks
        // its mode from argv[0].
        copy_file(&path, &rootfs.join("usr/bin").join(program)).map_err(|e| io(program, e))?;
        files.extend(libraries(&path).await?);
    }
    for file in &files {
        let target = rootfs.join(file.strip_prefix("/").unwrap_or(file));
        copy_file(file, &target).map_err(|e| io(&file.to_string_lossy(), e))?;
    }
    let etc = rootfs.join("etc");
    std::fs::create_dir_all(&etc).map_err(|e| io("etc", e))?;
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/nonexistent\nnobody:x:65534:65534:nobody:/data:/nonexistent\n",
    )
    .map_err(|e| io("passwd", e))?;
    let data = rootfs.join("data");
    std::fs::create_dir_all(&data).map_err(|e| io("data", e))?;
    set_mode(&data, 0o1777).map_err(|e| io("data", e))?;
    let dockerfile = "FROM scratch\n\
        COPY rootfs/ /\n\
        ENV PATH=/usr/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu\n\
        LABEL easy-cache-test.image=1\n\
        USER 65534:65534\n\
        WORKDIR /data\n";
    std::fs::write(dir.join("Dockerfile"), dockerfile).map_err(|e| io("Dockerfile", e))
}

/// The shared libraries and the dynamic loader `ldd` lists for `program`.
async fn libraries(program: &Path) -> Result<Vec<PathBuf>> {
    let out = cmd::run(
        "ldd",
        &[&program.to_string_lossy()],
        Duration::from_secs(30),
    )
    .await?;
    Ok(parse_ldd(&out))
}

/// The absolute paths in `ldd` output (`libc.so.6 => /lib/.../libc.so.6 (0x...)` and the
/// bare loader line `/lib64/ld-linux-x86-64.so.2 (0x...)`).
fn parse_ldd(out: &str) -> Vec<PathBuf> {
    out.lines()
        .filter_map(|line| {
            let path = line.split("=>").last()?.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// Copies `from` (following symlinks) to `to`, creating parent directories.
fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to).map(drop)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_valid() {
        assert_eq!(sanitize_tag("5:7.0.15-1~deb12u10"), "5_7.0.15-1_deb12u10");
    }

    #[test]
    fn ldd_output_is_parsed() {
        let out = "\tlinux-vdso.so.1 (0x00007f01a2609000)\n\
            \tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f01a2508000)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f01a260b000)\n";
        assert_eq!(
            parse_ldd(out),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libm.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2")
            ]
        );
    }
}
