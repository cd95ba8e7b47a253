//! The browser apps (SPEC §10): the city's desktop console under
//! `/console/` and the phone pages (approvers, public licence verification)
//! under `/h5/`, served from the files `web/` builds
//! ([`shared::site`]). A group of its own, so a deployment can serve the
//! pages alone — or leave them to object storage's static hosting
//! (`deploy/functions/README.md`).

use shared::group::Site;

/// The `web` function group.
pub struct Web;

impl shared::group::Group for Web {
    const NAME: &'static str = "web";
    const DESCRIPTION: &'static str = "网页端：市局管理控制台与移动端页面";
    const SITES: &'static [Site] = &[
        Site {
            mount: "/console",
            dir: "console",
        },
        Site {
            mount: "/h5",
            dir: "h5",
        },
    ];
    /// No operations of its own: the pages call the other groups' API.
    type Api = ();
    fn api() -> Self::Api {}
}
