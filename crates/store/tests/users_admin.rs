//! What the admin pages read and change, on every configured back end: the user list, a
//! role or password set alone (ending that user's sessions), every token with its owner,
//! one token by id, and the audit log filtered and paged.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::Role;
use store::{AuditQuery, Store};

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

async fn session(store: &Store, hash: &str, user_id: i64) {
    store.create_session(hash, user_id, "csrf", now(), now() + Duration::hours(12)).await.unwrap();
}

async fn live(store: &Store, hash: &str) -> bool {
    store.session(hash, now()).await.unwrap().is_some()
}

#[tokio::test]
async fn users_are_listed_by_name_with_their_state() {
    each_store(async |backend, store| {
        store.create_user("minh", "h", Role::Viewer, now()).await.unwrap();
        store.create_user("an", "h", Role::Admin, now()).await.unwrap();
        store.create_user("lan", "h", Role::Officer, now()).await.unwrap();
        store.disable_user("minh", now()).await.unwrap();
        let users = store.list_users().await.unwrap();
        let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["an", "lan", "minh"], "{backend}");
        assert_eq!(users[1].role, Role::Officer);
        assert_eq!(users[2].disabled_at, Some(now()), "{backend}");
        assert!(users[0].is_enabled());
    })
    .await;
}

#[tokio::test]
async fn a_role_or_a_password_alone_ends_that_users_sessions() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "h1", Role::Officer, now()).await.unwrap();
        let minh = store.create_user("minh", "h", Role::Viewer, now()).await.unwrap();
        session(&store, "lan-1", lan.id).await;
        session(&store, "minh-1", minh.id).await;

        let changed = store.set_user_role("lan", Role::Viewer).await.unwrap();
        assert_eq!((changed.id, changed.role), (lan.id, Role::Viewer), "{backend}");
        assert!(!live(&store, "lan-1").await, "{backend}: a role change kept the session");
        assert!(live(&store, "minh-1").await, "{backend}: another user's session ended");
        let (user, hash) = store.user_by_name("lan").await.unwrap().unwrap();
        assert_eq!((user.role, hash.as_str()), (Role::Viewer, "h1"), "the password is kept");

        session(&store, "lan-2", lan.id).await;
        store.set_user_password("lan", "h2").await.unwrap();
        assert!(!live(&store, "lan-2").await, "{backend}: a new password kept the session");
        let (user, hash) = store.user_by_name("lan").await.unwrap().unwrap();
        assert_eq!((user.role, hash.as_str()), (Role::Viewer, "h2"), "the role is kept");

        for r in [
            store.set_user_role("nobody", Role::Admin).await,
            store.set_user_password("nobody", "h").await,
        ] {
            assert!(matches!(r, Err(store::Error::NotFound(_))), "{backend}: {r:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn every_token_is_listed_with_its_owner_newest_first() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "h", Role::Officer, now()).await.unwrap();
        let minh = store.create_user("minh", "h", Role::Viewer, now()).await.unwrap();
        let later = now() + Duration::days(90);
        let a = store.create_api_token(lan.id, "cli", "ha", now(), later).await.unwrap();
        let b = store.create_api_token(minh.id, "báo cáo", "hb", now(), later).await.unwrap();
        let c = store.create_api_token(lan.id, "cũ", "hc", now(), later).await.unwrap();
        store.revoke_api_token(lan.id, c.id, now()).await.unwrap();
        store.disable_user("minh", now()).await.unwrap();

        let all = store.all_api_tokens(10).await.unwrap();
        let seen: Vec<(i64, &str, i64)> =
            all.iter().map(|(t, u)| (t.id, u.name.as_str(), t.user_id)).collect();
        assert_eq!(seen, [(c.id, "lan", lan.id), (b.id, "minh", minh.id), (a.id, "lan", lan.id)]);
        assert_eq!(all[0].0.revoked_at, Some(now()), "{backend}");
        assert_eq!(all[1].0.name, "báo cáo");
        assert!(!all[1].1.is_enabled(), "{backend}: the owner's state comes along");
        assert_eq!(store.all_api_tokens(1).await.unwrap().len(), 1);

        assert_eq!(store.api_token(b.id).await.unwrap(), b, "{backend}");
        assert!(matches!(store.api_token(9999).await, Err(store::Error::NotFound(_))));
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_is_filtered_and_paged_newest_first() {
    each_store(async |backend, store| {
        let admin = store.create_user("quan", "h", Role::Admin, now()).await.unwrap();
        let lan = store.create_user("lan", "h", Role::Officer, now()).await.unwrap();
        let t = |m: i64| now() + Duration::minutes(m);
        store.audit(Some(lan.id), "login", "user:lan", "", t(0)).await.unwrap();
        store.audit(Some(admin.id), "user_disabled", "user:lan", "", t(1)).await.unwrap();
        store.audit(None, "user_enabled", "user:lan", "via cli", t(2)).await.unwrap();
        store.audit(Some(admin.id), "source_disabled", "source:1", "", t(3)).await.unwrap();
        store.audit(None, "login_failed", "user:lana", "", t(4)).await.unwrap();

        let read = async |q: AuditQuery| -> Vec<(String, Option<String>)> {
            let q = AuditQuery { limit: if q.limit == 0 { 50 } else { q.limit }, ..q };
            store.audit_entries(&q).await.unwrap().into_iter().map(|e| (e.action, e.user)).collect()
        };
        let all = read(AuditQuery::default()).await;
        let actions: Vec<&str> = all.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            actions,
            ["login_failed", "source_disabled", "user_enabled", "user_disabled", "login"],
            "{backend}"
        );
        assert_eq!(all[1].1.as_deref(), Some("quan"));
        assert_eq!(all[2].1, None, "the command line acts as nobody");

        // By lan: what lan did and what was done to lan's account, not to "lana".
        let lan_entries = read(AuditQuery { user: Some("lan".into()), ..AuditQuery::default() });
        let actions: Vec<String> = lan_entries.await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["user_enabled", "user_disabled", "login"], "{backend}");
        // By the admin: what they did.
        let by_admin = read(AuditQuery { user: Some("quan".into()), ..AuditQuery::default() });
        assert_eq!(by_admin.await.len(), 2, "{backend}");
        // By action, and both.
        let disabled =
            read(AuditQuery { action: Some("user_disabled".into()), ..AuditQuery::default() });
        assert_eq!(disabled.await, [("user_disabled".to_owned(), Some("quan".to_owned()))]);
        let both = AuditQuery {
            user: Some("quan".into()),
            action: Some("login".into()),
            ..AuditQuery::default()
        };
        assert!(read(both).await.is_empty(), "{backend}");

        // Pages.
        let page = |limit, offset| AuditQuery { limit, offset, ..AuditQuery::default() };
        let second = read(page(2, 2)).await;
        let actions: Vec<&str> = second.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["user_enabled", "user_disabled"], "{backend}");
        assert!(read(page(2, 10)).await.is_empty());
        let entries = store.audit_entries(&page(1, 0)).await.unwrap();
        assert_eq!((entries[0].at, entries[0].target.as_str()), (t(4), "user:lana"));
    })
    .await;
}
