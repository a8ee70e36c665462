//! Consistent hashing of keys onto servers (a ketama-style ring).
//!
//! Each server owns [`POINTS_PER_SERVER`] points on a 64-bit ring, placed by hashing
//! `"{address}-{i}"`; a key belongs to the first point at or after its own hash. Adding a
//! server only takes over the arcs just before its points, so about 1/N of the keys move,
//! all of them to the new server. The hash is XXH3-64, which is fixed by its specification,
//! so placement is stable across processes, platforms and releases.

use xxhash_rust::xxh3::xxh3_64;

/// Virtual nodes per server: enough that each server's share is within a few percent.
///
/// ```
/// use easy_cache_memcached::{MemcachedCache, MemcachedConfig, POINTS_PER_SERVER};
/// assert_eq!(POINTS_PER_SERVER, 160);
/// // With that many points, keys spread over every server.
/// let servers = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"];
/// let cache = MemcachedCache::new(MemcachedConfig::new(servers)).unwrap();
/// for server in servers {
///     assert!((0..300).any(|i| cache.server_for(&format!("key{i}")) == server));
/// }
/// ```
pub const POINTS_PER_SERVER: usize = 160;

/// The ring: points sorted by position, each naming a server by index.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    points: Vec<(u64, usize)>,
}

impl Ring {
    /// A ring over `servers` (their addresses); indices refer to this slice.
    pub(crate) fn new(servers: &[String]) -> Self {
        let mut points = Vec::with_capacity(servers.len() * POINTS_PER_SERVER);
        for (index, address) in servers.iter().enumerate() {
            for i in 0..POINTS_PER_SERVER {
                points.push((xxh3_64(format!("{address}-{i}").as_bytes()), index));
            }
        }
        // Break (astronomically rare) ties by address, not by list position, so the order
        // servers are listed in never changes where keys go.
        points.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| servers[a.1].cmp(&servers[b.1])));
        Ring { points }
    }

    /// The index of the server that holds `key`.
    pub(crate) fn server_for(&self, key: &str) -> usize {
        if self.points.len() <= POINTS_PER_SERVER {
            return self.points.first().map_or(0, |p| p.1);
        }
        let hash = xxh3_64(key.as_bytes());
        let at = self.points.partition_point(|p| p.0 < hash);
        // Past the last point the ring wraps to the first.
        self.points.get(at).unwrap_or(&self.points[0]).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("10.0.0.{i}:11211")).collect()
    }

    fn keys() -> Vec<String> {
        (0..10_000).map(|i| format!("user:{i}:profile")).collect()
    }

    #[test]
    fn adding_a_server_moves_about_a_quarter_of_the_keys_all_to_it() {
        let (three, four) = (Ring::new(&servers(3)), Ring::new(&servers(4)));
        let mut moved = 0;
        for key in keys() {
            let (before, after) = (three.server_for(&key), four.server_for(&key));
            if before != after {
                moved += 1;
                assert_eq!(after, 3, "{key} moved between old servers");
            }
        }
        let share = f64::from(moved) / 10_000.0;
        assert!((0.15..=0.35).contains(&share), "{share} of the keys moved");
    }

    #[test]
    fn keys_spread_evenly() {
        let ring = Ring::new(&servers(3));
        let mut counts = [0u32; 3];
        for key in keys() {
            counts[ring.server_for(&key)] += 1;
        }
        for count in counts {
            assert!((2_500..=4_200).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn placement_ignores_listing_order_and_is_stable() {
        let forward = servers(3);
        let backward: Vec<String> = forward.iter().rev().cloned().collect();
        let (a, b) = (Ring::new(&forward), Ring::new(&backward));
        for key in keys().iter().take(1000) {
            assert_eq!(forward[a.server_for(key)], backward[b.server_for(key)]);
        }
        // Fixed placement: a change here would orphan every stored key.
        let pinned: Vec<usize> = (0..12).map(|i| a.server_for(&format!("pin{i}"))).collect();
        assert_eq!(pinned, [0, 2, 0, 0, 2, 2, 0, 2, 1, 1, 1, 0]);
        let single = Ring::new(&servers(1));
        assert!(keys().iter().all(|k| single.server_for(k) == 0));
    }
}
