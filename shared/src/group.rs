//! Function groups: the unit of deployment (SPEC §2). Each group is one
//! poem-openapi API of `functions/` or `mobile-api/`; `yaojian serve --only`
//! mounts the routes of the named groups, and a serverless platform runs one
//! group per function.

use poem_openapi::OpenApi;

#[derive(Debug, Clone)]
pub struct FunctionGroup {
    /// Name used by `--only` and by `deploy/functions/`.
    pub name: &'static str,
    pub description: &'static str,
    /// Paths (OpenAPI form, `{id}`) relative to `/api/v1`.
    pub paths: Vec<String>,
}

impl FunctionGroup {
    /// A group made of the operations of `T`.
    pub fn of<T: OpenApi>(name: &'static str, description: &'static str) -> FunctionGroup {
        let mut paths: Vec<String> = T::meta()
            .into_iter()
            .flat_map(|api| api.paths.into_iter().map(|p| p.path))
            .collect();
        paths.sort();
        paths.dedup();
        FunctionGroup {
            name,
            description,
            paths,
        }
    }
}

/// `/drugs/by-barcode/{barcode}` → `/drugs/by-barcode/:barcode` (poem's router syntax).
pub fn to_route_pattern(openapi_path: &str) -> String {
    openapi_path
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_patterns() {
        assert_eq!(super::to_route_pattern("/a/{id}/b"), "/a/:id/b");
        assert_eq!(super::to_route_pattern("/me"), "/me");
    }
}
