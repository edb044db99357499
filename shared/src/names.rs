//! The names already used in one JSON object, so that every stored object has unique keys
//! (SPEC section 4): a later repeat of a name gets leading underscores until it is free.
//! Linear overall: a short list compared one by one, a sorted set once it grows, and per name the
//! number of underscores to try next, so a thousand repeats don't each walk the same chain.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// Past this many names the list becomes a set.
const FEW: usize = 16;
/// The first names are kept in place, so an object of a few keys allocates nothing.
const INLINE: usize = 8;

#[derive(Debug)]
pub struct Names<'a> {
    /// ASCII case folded before comparing (the top level of a stored line, for Athena).
    fold: bool,
    inline: [Cow<'a, [u8]>; INLINE],
    inlined: usize,
    few: Vec<Cow<'a, [u8]>>,
    many: BTreeMap<Cow<'a, [u8]>, ()>,
    /// For a name that was repeated: how many underscores were last added to it.
    next: BTreeMap<Vec<u8>, usize>,
}

impl Default for Names<'_> {
    fn default() -> Self {
        Names {
            fold: false,
            inline: std::array::from_fn(|_| Cow::Borrowed(&[][..])),
            inlined: 0,
            few: Vec::new(),
            many: BTreeMap::new(),
            next: BTreeMap::new(),
        }
    }
}

impl<'a> Names<'a> {
    /// Names compared exactly (nested objects).
    pub fn exact() -> Self {
        Self::default()
    }

    /// Names compared ignoring ASCII case (the top level of a stored line).
    pub fn folded() -> Self {
        Self {
            fold: true,
            ..Self::default()
        }
    }

    fn norm<'n>(&self, name: Cow<'n, [u8]>) -> Cow<'n, [u8]> {
        if self.fold && name.iter().any(u8::is_ascii_uppercase) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            name
        }
    }

    fn contains(&self, norm: &[u8]) -> bool {
        if self.many.is_empty() {
            self.inline[..self.inlined].iter().any(|n| n.as_ref() == norm) || self.few.iter().any(|n| n.as_ref() == norm)
        } else {
            self.many.contains_key(norm)
        }
    }

    fn insert(&mut self, norm: Cow<'a, [u8]>) {
        if self.many.is_empty() && self.inlined < INLINE {
            self.inline[self.inlined] = norm;
            self.inlined += 1;
            return;
        }
        if self.many.is_empty() && self.inlined + self.few.len() < FEW {
            self.few.push(norm);
            return;
        }
        if self.many.is_empty() {
            for n in self.inline[..self.inlined].iter_mut() {
                self.many.insert(std::mem::take(n), ());
            }
            self.inlined = 0;
            for n in self.few.drain(..) {
                self.many.insert(n, ());
            }
        }
        self.many.insert(norm, ());
    }

    /// Marks `name` used (drain's own fields, written before the sender's).
    pub fn reserve(&mut self, name: &'a [u8]) {
        let norm = self.norm(Cow::Borrowed(name));
        self.insert(norm);
    }

    /// `None` when `name` is free (it is now used), else the free name to write instead:
    /// `_name`, `__name`, … (also used now).
    pub fn take(&mut self, name: Cow<'a, [u8]>) -> Option<Vec<u8>> {
        let norm = self.norm(name);
        if !self.contains(&norm) {
            self.insert(norm);
            return None;
        }
        let start = self.next.get(norm.as_ref()).copied().unwrap_or(0) + 1;
        let mut k = start;
        loop {
            let mut candidate = vec![b'_'; k];
            candidate.extend_from_slice(&norm);
            if !self.contains(&candidate) {
                self.next.insert(norm.into_owned(), k);
                // The name written keeps the sender's case; its folded form is what is used.
                self.insert(Cow::Owned(candidate));
                return Some(vec![b'_'; k]);
            }
            k += 1;
        }
    }
}

/// `prefix` (underscores from [`Names::take`]) then `name`.
pub fn renamed(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + name.len());
    v.extend_from_slice(prefix);
    v.extend_from_slice(name);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take<'a>(n: &mut Names<'a>, name: &'a str) -> String {
        let p = n.take(Cow::Borrowed(name.as_bytes())).unwrap_or_default();
        String::from_utf8(renamed(&p, name.as_bytes())).unwrap()
    }

    #[test]
    fn repeats_get_underscores_until_free() {
        let mut n = Names::exact();
        assert_eq!(take(&mut n, "a"), "a");
        assert_eq!(take(&mut n, "a"), "_a");
        assert_eq!(take(&mut n, "_a"), "__a");
        assert_eq!(take(&mut n, "a"), "___a");
        assert_eq!(take(&mut n, "A"), "A");
        let mut top = Names::folded();
        top.reserve(b"message");
        assert_eq!(take(&mut top, "Message"), "_Message");
        assert_eq!(take(&mut top, "MESSAGE"), "__MESSAGE");
        assert_eq!(take(&mut top, "x"), "x");
        assert_eq!(take(&mut top, "X"), "_X");
    }

    /// Issue 12, item 2: tens of thousands of one name took seconds to minutes.
    #[test]
    fn regression_many_repeats_are_linear() {
        let mut n = Names::folded();
        n.reserve(b"drain");
        for _ in 0..50_000 {
            n.take(Cow::Borrowed(b"drain"));
        }
        // The chain of underscores is walked once: each repeat starts where the previous one
        // stopped (before, each repeat walked every name).
        assert_eq!(n.next.get(b"drain".as_slice()), Some(&50_000));
    }
}
