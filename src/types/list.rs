//! The list type. Redis 7.0 stores every list as a quicklist (OBJECT
//! ENCODING says so); here a ring buffer of inline-or-boxed strings gives
//! O(1) push and pop at both ends and O(1) index access anywhere.

use crate::sds::Sds;
use std::collections::VecDeque;

#[derive(Clone, Default)]
pub struct List {
    pub items: VecDeque<Sds>,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Redis's index convention: negative counts from the tail.
    pub fn resolve_index(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 {
            len.checked_add(index)?
        } else {
            index
        };
        if (0..len).contains(&i) {
            Some(i as usize)
        } else {
            None
        }
    }
}
