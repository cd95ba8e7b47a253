//! Serving a built browser app (SPEC §10): the files Vite wrote for one app
//! (`web/dist/console/`…), under the mount a group declares
//! (its `SITES`).
//!
//! - A path without a file extension is a route of the app's own router
//!   (`/console/registrations/…`): it answers the app's `index.html`, so a
//!   bookmark or a reload lands on the page. A missing file with an
//!   extension stays a 404, so a stale script is not answered with HTML.
//! - Vite names every asset by its content hash (`assets/index-3f9a….js`):
//!   they are cached for a year as immutable. `index.html` is `no-cache`, so
//!   a new release is picked up on the next load.
//! - Everything is same-origin: the Content-Security-Policy allows nothing
//!   from another host (fonts and icons are bundled).

use std::path::{Path, PathBuf};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    endpoint::StaticFilesEndpoint,
    http::{HeaderValue, header},
};

/// What a page of ours may load: only our own origin. Styles set through the
/// DOM (`element.style`, as Vue and TDesign do) are not inline `<style>` and
/// need no exception; images may also be data or blob URLs (previews).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; \
     font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// One app's files, from `root` (the folder holding its `index.html`).
pub struct SiteEndpoint {
    root: PathBuf,
    routes: StaticFilesEndpoint,
    files: StaticFilesEndpoint,
}

impl SiteEndpoint {
    pub fn new(root: impl AsRef<Path>) -> SiteEndpoint {
        let root = root.as_ref().to_path_buf();
        SiteEndpoint {
            routes: StaticFilesEndpoint::new(&root)
                .index_file("index.html")
                .fallback_to_index()
                .no_cache_index()
                .redirect_to_slash_directory(),
            files: StaticFilesEndpoint::new(&root)
                .index_file("index.html")
                .no_cache_index(),
            root,
        }
    }
}

/// A file with an extension (`app.js`, `logo.svg`) rather than a route of the app.
fn is_file_path(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

impl Endpoint for SiteEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if !self.root.join("index.html").is_file() {
            // A deployment that serves the group without having built the app.
            let title = crate::codes::SITE_NOT_BUILT.title;
            return Ok(
                crate::ApiError::unavailable(crate::codes::SITE_NOT_BUILT, title).into_response(),
            );
        }
        let path = req.uri().path().to_owned();
        let immutable = path.contains("/assets/");
        let mut res = if is_file_path(&path) {
            self.files.call(req).await?
        } else {
            self.routes.call(req).await?
        };
        let ok = res.status().is_success();
        let headers = res.headers_mut();
        if immutable && ok {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
        } else if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_and_routes() {
        assert!(super::is_file_path("/console/assets/index-3f9a.js"));
        assert!(super::is_file_path("/favicon.ico"));
        assert!(!super::is_file_path("/console/registrations/42"));
        assert!(!super::is_file_path("/console/"));
    }
}
