//! One page of a list: the shape every list has, in the CLI's JSON and the
//! web API alike (SPEC §12): `{"items", "total", "page", "pages",
//! "per_page"}`. A page past the last is empty and keeps its number (page 9
//! of 3); an empty list is page 1 of 1.

use serde::Serialize;

/// Which page a list is asked for. The faces check the bounds (a page from
/// 1, 1 to 1000 rows a page); here 0 counts as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: 20,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    /// The page `req` asks for out of the whole list.
    pub fn of(all: Vec<T>, req: PageRequest) -> Page<T> {
        let total = all.len() as u64;
        let per_page = req.per_page.max(1);
        let first = (req.page.max(1) - 1).saturating_mul(per_page);
        let items = all
            .into_iter()
            .skip(usize::try_from(first).unwrap_or(usize::MAX))
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .collect();
        Page {
            items,
            total,
            page: req.page.max(1),
            pages: pages(total, per_page),
            per_page,
        }
    }

    /// A page the store cut itself: `items` are those of page `req.page`
    /// out of `total`.
    pub fn from_parts(items: Vec<T>, total: u64, req: PageRequest) -> Page<T> {
        let per_page = req.per_page.max(1);
        Page {
            items,
            total,
            page: req.page.max(1),
            pages: pages(total, per_page),
            per_page,
        }
    }

    /// "page 2 of 5 (93 users)".
    pub fn footer(&self, one: &str, many: &str) -> String {
        let noun = if self.total == 1 { one } else { many };
        format!(
            "page {} of {} ({} {noun})",
            self.page, self.pages, self.total
        )
    }
}

impl PageRequest {
    /// How many rows come before this page.
    pub fn offset(&self) -> u64 {
        (self.page.max(1) - 1).saturating_mul(self.per_page.max(1))
    }
}

/// How many pages `total` rows make, at least one.
pub fn pages(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(page: u64, per_page: u64) -> PageRequest {
        PageRequest { page, per_page }
    }

    #[test]
    fn pages_past_the_last_are_empty_and_keep_their_number() {
        let p = Page::of((0..45).collect::<Vec<_>>(), req(9, 20));
        assert!(p.items.is_empty());
        assert_eq!((p.page, p.pages, p.total), (9, 3, 45));
        let p = Page::of(Vec::<u8>::new(), req(1, 20));
        assert_eq!((p.page, p.pages), (1, 1));
        let p = Page::of((0..45).collect::<Vec<_>>(), req(3, 20));
        assert_eq!(p.items, vec![40, 41, 42, 43, 44]);
        let p = Page::of((0..5).collect::<Vec<_>>(), req(u64::MAX, u64::MAX));
        assert!(p.items.is_empty());
    }
}
