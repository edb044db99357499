//! A count that is taken from and given back, never waited on: delivery slots, unsigned
//! uploads, KiB of body. Taking more than is free fails at once (the delivery answers 503).

use std::sync::atomic::{AtomicUsize, Ordering};

/// Units free to take.
#[derive(Debug)]
pub struct Quota {
    free: AtomicUsize,
}

/// Units taken, given back when dropped.
#[derive(Debug)]
#[must_use = "the units are given back when this is dropped"]
pub struct Held<'a> {
    quota: &'a Quota,
    units: usize,
}

impl Quota {
    pub fn new(units: usize) -> Self {
        Quota {
            free: AtomicUsize::new(units),
        }
    }

    /// `units` taken, if that many are free.
    pub fn try_take(&self, units: usize) -> Option<Held<'_>> {
        self.free
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| free.checked_sub(units))
            .ok()
            .map(|_| Held { quota: self, units })
    }

    pub fn free(&self) -> usize {
        self.free.load(Ordering::Acquire)
    }
}

impl Held<'_> {
    /// `more` held as part of this.
    pub fn merge(&mut self, mut more: Held<'_>) {
        self.units += std::mem::take(&mut more.units);
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.quota.free.fetch_add(self.units, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::Quota;

    #[test]
    fn taken_units_come_back_when_dropped_and_never_overdraw() {
        let b = Quota::new(10);
        let mut a = b.try_take(4).unwrap();
        assert!(b.try_take(7).is_none(), "only 6 are free");
        a.merge(b.try_take(6).unwrap());
        assert_eq!(b.free(), 0);
        assert!(b.try_take(1).is_none());
        drop(a);
        assert_eq!(b.free(), 10);
        assert!(b.try_take(0).is_some());
    }
}
