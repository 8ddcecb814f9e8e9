//! A small per-process TTL cache for hot lookups (token records, repository access).
//!
//! Entries live at most `ttl`; writes in this process invalidate what they change, and
//! other replicas see a change within `ttl`. A zero `ttl` disables caching. The size is
//! bounded: when full, the cache starts over (cheap, and hot keys come straight back).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache {
            ttl,
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Drops every entry whose key matches.
    pub fn invalidate(&self, matches: impl Fn(&K) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.retain(|k, _| !matches(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_invalidate_and_stay_bounded() {
        let cache = TtlCache::new(Duration::from_millis(50), 2);
        cache.insert("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.invalidate(|k| *k == "a");
        assert_eq!(cache.get(&"a"), None);
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("c", 3); // full: starts over
        assert_eq!((cache.get(&"a"), cache.get(&"c")), (None, Some(3)));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&"c"), None);
        let off = TtlCache::new(Duration::ZERO, 10);
        off.insert("a", 1);
        assert_eq!(off.get(&"a"), None);
    }
}
