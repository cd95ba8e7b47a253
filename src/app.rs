//! The composed HTTP application.
//!
//! All APIs form one poem-openapi service (one OpenAPI document). `--only`
//! mounts just the paths of the named function groups in front of it, so a
//! deployed function answers 404 for every other group's routes and its
//! `openapi.json` lists only its own operations.

use std::{collections::BTreeSet, sync::Arc};

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Route, endpoint::BoxEndpoint, endpoint::make_sync,
    web::Html,
};
use poem_openapi::OpenApiService;
use serde_json::{Value, json};
use shared::{AppState, group::FunctionGroup, telemetry::Observe};

pub const API_PREFIX: &str = "/api/v1";

/// Every function group, in the registry's order.
pub fn all_groups() -> Vec<FunctionGroup> {
    crate::groups::all()
}

/// The groups selected by `--only` (all when `None`); unknown names are an error.
pub fn select_groups(only: Option<&[String]>) -> anyhow::Result<Vec<FunctionGroup>> {
    let all = all_groups();
    let Some(names) = only else { return Ok(all) };
    let known: BTreeSet<&str> = all.iter().map(|g| g.name).collect();
    if let Some(bad) = names.iter().find(|n| !known.contains(n.as_str())) {
        anyhow::bail!(
            "unknown function group `{bad}` (known: {})",
            known.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(all
        .into_iter()
        .filter(|g| names.iter().any(|n| n == g.name))
        .collect())
}

fn service() -> OpenApiService<crate::groups::Api, ()> {
    OpenApiService::new(crate::groups::api(), "Yaojian 药监 API", env!("CARGO_PKG_VERSION"))
        .description("含特殊药品复方制剂销售登记、检查、审批与电子证照。错误均为 application/problem+json（见 SPEC §3）。")
        .server(API_PREFIX)
}

/// The OpenAPI document of the selected groups.
pub fn openapi_document(groups: &[FunctionGroup]) -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(&service().spec()).expect("poem-openapi emits JSON");
    let keep: BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| g.paths.iter().map(String::as_str))
        .collect();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        paths.retain(|p, _| keep.contains(p.as_str()));
        // Each operation is tagged with its group: the tag is the group's
        // name, described by the group's description.
        for group in groups {
            for path in &group.paths {
                let Some(Value::Object(ops)) = paths.get_mut(path) else {
                    continue;
                };
                for op in ops.values_mut() {
                    if let Value::Object(op) = op {
                        op.insert("tags".into(), json!([group.name]));
                    }
                }
            }
        }
    }
    doc["tags"] = groups
        .iter()
        .map(|g| json!({ "name": g.name, "description": g.description }))
        .collect();
    // The codes clients switch on (SPEC §3), for generated clients and tests.
    doc["x-error-codes"] = json!(shared::error::error_codes());
    doc
}

/// The whole server: `/api/v1/...` for the selected groups, docs, operations.
pub fn build(state: AppState, groups: &[FunctionGroup]) -> impl Endpoint + use<> {
    // Install the recorder before the first request is counted.
    shared::telemetry::metrics_handle();
    let api: Arc<BoxEndpoint<'static>> =
        Arc::new(service().into_endpoint().map_to_response().boxed());
    let mut v1 = Route::new();
    for group in groups {
        for path in &group.paths {
            let route: &'static str = Box::leak(format!("{API_PREFIX}{path}").into_boxed_str());
            v1 = v1.at(
                shared::group::to_route_pattern(path),
                Arc::clone(&api).with(Observe { route }),
            );
        }
    }
    let doc = openapi_document(groups);
    let doc_text = doc.to_string();
    let swagger = swagger_html(&doc_text);
    let v1 = v1
        .at(
            "/openapi.json",
            make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json")
                    .body(doc_text.clone())
            }),
        )
        .at("/docs", make_sync(move |_| Html(swagger.clone())));

    let mut root = Route::new().nest(API_PREFIX, v1);
    let sites: Vec<_> = groups.iter().flat_map(|g| g.sites).collect();
    for site in &sites {
        root = root.nest(
            site.mount,
            shared::site::SiteEndpoint::new(state.config.web_dir.join(site.dir)),
        );
    }
    // `/` opens the first app served (the console), rather than a 404.
    if let Some(first) = sites.first() {
        let to = format!("{}/", first.mount);
        root = root.at(
            "/",
            make_sync(move |_| poem::web::Redirect::see_other(to.clone())),
        );
    }
    root.at(
        "/healthz",
        crate::ops::healthz.with(Observe { route: "/healthz" }),
    )
    .at(
        "/readyz",
        crate::ops::readyz.with(Observe { route: "/readyz" }),
    )
    .at(
        "/metrics",
        crate::ops::metrics.with(Observe { route: "/metrics" }),
    )
    .data(state)
    // A panic anywhere below answers 500 problem+json, never a dropped connection.
    .with(poem::middleware::CatchPanic::new().with_handler(shared::error::problem_from_panic))
    // Whatever poem itself refuses (no route, wrong method...) is problem+json too.
    .catch_all_error(|e| async move { shared::error::problem_from_poem_error(e) })
}

/// `/metrics` alone, without a token, for `serve --metrics-bind` on an
/// internal address.
pub fn metrics_only(state: AppState) -> impl Endpoint + use<> {
    Route::new()
        .at(
            "/metrics",
            crate::ops::metrics_internal.with(Observe { route: "/metrics" }),
        )
        .data(state)
        .catch_all_error(|e| async move { shared::error::problem_from_poem_error(e) })
}

/// Swagger UI, as poem-openapi renders it, showing the selected groups' document.
fn swagger_html(doc: &str) -> String {
    let svc = service();
    svc.swagger_ui_html().replacen(&svc.spec(), doc, 1)
}

/// The README's group table (`yaojian groups --markdown`): each group, what
/// it does, its operations and the guards they take, from the registry and
/// the OpenAPI document.
pub fn groups_table() -> String {
    let groups = all_groups();
    let doc = openapi_document(&groups);
    let mut out =
        String::from("| group | what | operations (under `/api/v1`) | who |\n|---|---|---|---|\n");
    for g in &groups {
        let mut ops = Vec::new();
        let mut who = BTreeSet::new();
        for path in &g.paths {
            let Some(Value::Object(methods)) = doc["paths"].get(path) else {
                continue;
            };
            for (method, op) in methods {
                ops.push(format!("`{} {path}`", method.to_uppercase()));
                match op["security"].as_array() {
                    Some(schemes) if !schemes.is_empty() => {
                        for s in schemes {
                            if let Value::Object(s) = s {
                                who.extend(s.keys().map(|k| format!("`{k}`")));
                            }
                        }
                    }
                    _ if op["operationId"]
                        .as_str()
                        .is_some_and(|id| shared::auth::guard::SIGNED_OPERATIONS.contains(&id)) =>
                    {
                        who.insert("signed by a platform".to_owned());
                    }
                    _ => {
                        who.insert("public".to_owned());
                    }
                }
            }
        }
        // A group's browser apps are public pages (their data comes through the API).
        for site in g.sites {
            ops.push(format!("pages `{}/` (outside `/api/v1`)", site.mount));
            who.insert("public".to_owned());
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            g.name,
            g.description,
            ops.join(", "),
            who.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out
}
