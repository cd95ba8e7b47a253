//! Lists (SPEC §3): `page` from 1, `page_size` default 20, max 100 →
//! `{"items","total","page","page_size"}`.

use poem_openapi::{
    Object,
    types::{ParseFromJSON, ToJSON, Type},
};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    /// Values come from query parameters already validated by their schema
    /// (`minimum`/`maximum`); defaults fill what is absent.
    pub fn new(page: Option<u32>, page_size: Option<u32>) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            page_size: page_size
                .unwrap_or(DEFAULT_PAGE_SIZE)
                .clamp(1, MAX_PAGE_SIZE),
        }
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.page_size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.page_size)
    }
}

#[derive(Debug, Object)]
pub struct Page<T: Type + ParseFromJSON + ToJSON> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

impl<T: Type + ParseFromJSON + ToJSON> Page<T> {
    pub fn new(items: Vec<T>, total: i64, req: PageRequest) -> Self {
        Page {
            items,
            total,
            page: req.page,
            page_size: req.page_size,
        }
    }
}
