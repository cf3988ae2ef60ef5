//! A small least-recently-used map keyed by `u64` (block or chunk index).
//!
//! Entries live in a slab; an intrusive doubly-linked list through slab
//! indices orders them from most to least recently used, so lookup, touch,
//! insert and evict are O(1). Used by the block cache and the HTTP chunk
//! cache. It never evicts by itself beyond `insert` on a full map: callers
//! that must act before an entry goes (write-back) evict explicitly.

use std::collections::HashMap;

const NIL: usize = usize::MAX;

struct Slot<V> {
    key: u64,
    val: Option<V>,
    prev: usize,
    next: usize,
}

pub(crate) struct Lru<V> {
    map: HashMap<u64, usize>,
    slots: Vec<Slot<V>>,
    free: Vec<usize>,
    /// Most recently used.
    head: usize,
    /// Least recently used.
    tail: usize,
    capacity: usize,
}

impl<V> Lru<V> {
    /// `capacity` is at least 1 (callers validate).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), slots: Vec::new(), free: Vec::new(), head: NIL, tail: NIL, capacity }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.map.len() >= self.capacity
    }

    pub(crate) fn contains(&self, key: u64) -> bool {
        self.map.contains_key(&key)
    }

    /// Looks up and marks as most recently used.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let i = *self.map.get(&key)?;
        self.unlink(i);
        self.push_front(i);
        self.slots[i].val.as_mut()
    }

    /// Looks up without changing the order.
    pub(crate) fn peek_mut(&mut self, key: u64) -> Option<&mut V> {
        let i = *self.map.get(&key)?;
        self.slots[i].val.as_mut()
    }

    /// Looks up without changing the order, read-only.
    pub(crate) fn peek(&self, key: u64) -> Option<&V> {
        let i = *self.map.get(&key)?;
        self.slots[i].val.as_ref()
    }

    /// The key that `insert` on a full map would evict.
    pub(crate) fn lru_key(&self) -> Option<u64> {
        (self.tail != NIL).then(|| self.slots[self.tail].key)
    }

    pub(crate) fn remove(&mut self, key: u64) -> Option<V> {
        let i = self.map.remove(&key)?;
        self.unlink(i);
        self.free.push(i);
        self.slots[i].val.take()
    }

    /// Inserts (or replaces) `key` as most recently used; if that overfills
    /// the map, evicts and returns the least recently used entry.
    pub(crate) fn insert(&mut self, key: u64, val: V) -> Option<(u64, V)> {
        if let Some(v) = self.get_mut(key) {
            *v = val;
            return None;
        }
        let evicted = if self.is_full() { self.lru_key().and_then(|k| self.remove(k).map(|v| (k, v))) } else { None };
        let slot = Slot { key, val: Some(val), prev: NIL, next: NIL };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.push_front(i);
        evicted
    }

    /// All keys, in no particular order.
    pub(crate) fn keys(&self) -> Vec<u64> {
        self.map.keys().copied().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.slots.clear();
        self.free.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.slots[i].prev, self.slots[i].next);
        if prev != NIL {
            self.slots[prev].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.slots[next].prev = prev;
        } else {
            self.tail = prev;
        }
        self.slots[i].prev = NIL;
        self.slots[i].next = NIL;
    }

    fn push_front(&mut self, i: usize) {
        self.slots[i].next = self.head;
        self.slots[i].prev = NIL;
        if self.head != NIL {
            self.slots[self.head].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used() {
        let mut l = Lru::new(3);
        assert!(l.insert(1, "a").is_none());
        assert!(l.insert(2, "b").is_none());
        assert!(l.insert(3, "c").is_none());
        assert!(l.get_mut(1).is_some()); // order now 1,3,2
        assert_eq!(l.lru_key(), Some(2));
        assert_eq!(l.insert(4, "d"), Some((2, "b")));
        assert_eq!(l.insert(5, "e"), Some((3, "c")));
        assert!(l.contains(1) && l.contains(4) && l.contains(5));
        assert_eq!(l.len(), 3);
        assert_eq!(l.remove(4), Some("d"));
        assert_eq!(l.insert(1, "A"), None);
        assert_eq!(l.insert(6, "f"), None);
        assert_eq!(l.lru_key(), Some(5));
        let mut k = l.keys();
        k.sort();
        assert_eq!(k, vec![1, 5, 6]);
        l.clear();
        assert_eq!(l.len(), 0);
        assert_eq!(l.lru_key(), None);
    }
}
