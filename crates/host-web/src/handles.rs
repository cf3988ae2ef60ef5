//! Small integer handles for host-side objects (host pipe ends, terminals)
//! that JS names across the wasm boundary: the lowest free index is reused,
//! as with fds.

/// A table of handles ≥ 0.
pub(crate) struct Handles<T>(Vec<Option<T>>);

impl<T> Handles<T> {
    pub(crate) const fn new() -> Self {
        Handles(Vec::new())
    }

    /// Stores `v` and returns its handle.
    pub(crate) fn insert(&mut self, v: T) -> i32 {
        if let Some(i) = self.0.iter().position(Option::is_none) {
            self.0[i] = Some(v);
            i as i32
        } else {
            self.0.push(Some(v));
            self.0.len() as i32 - 1
        }
    }

    pub(crate) fn get(&self, h: i32) -> Option<&T> {
        self.0.get(usize::try_from(h).ok()?)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, h: i32) -> Option<&mut T> {
        self.0.get_mut(usize::try_from(h).ok()?)?.as_mut()
    }

    /// Frees handle `h`, returning what it named.
    pub(crate) fn remove(&mut self, h: i32) -> Option<T> {
        self.0.get_mut(usize::try_from(h).ok()?)?.take()
    }
}

#[cfg(test)]
mod tests {
    use super::Handles;

    #[test]
    fn the_lowest_free_handle_is_reused() {
        let mut t = Handles::new();
        assert_eq!((t.insert('a'), t.insert('b'), t.insert('c')), (0, 1, 2));
        assert_eq!(t.remove(1), Some('b'));
        assert_eq!(t.get(1), None);
        assert_eq!(t.insert('d'), 1);
        assert_eq!(t.get(1), Some(&'d'));
    }

    #[test]
    fn bad_handles_name_nothing() {
        let mut t = Handles::new();
        t.insert(1u8);
        assert_eq!(t.get(-1), None);
        assert_eq!(t.get(7), None);
        assert_eq!(t.get_mut(-3), None);
        assert_eq!(t.remove(-1), None);
        assert_eq!(t.remove(0), Some(1));
        assert_eq!(t.remove(0), None, "a handle is freed once");
    }
}
